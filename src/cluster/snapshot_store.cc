#include "cluster/snapshot_store.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

#include "protocol/batch_iterator.h"
#include "protocol/batch_records.h"
#include "protocol/control_record.h"
#include "protocol/messages.h"
#include "protocol/record_batch.h"
#include "cluster/metadata_log.h"
#include "storage/file_handle.h"
#include "storage/storage_error.h"

namespace freshet::cluster {

namespace {
constexpr std::string_view kSuffix = ".checkpoint";
constexpr std::string_view kPartSuffix = ".part";
constexpr size_t kRecordsPerBatch = 1024;

std::optional<raft::SnapshotId> parse_name(std::string_view name) {
  // 20 digits, '-', 10 digits, ".checkpoint"
  if (name.size() != 31 + kSuffix.size() || !name.ends_with(kSuffix) || name[20] != '-') return std::nullopt;
  raft::SnapshotId id;
  auto offset = std::from_chars(name.data(), name.data() + 20, id.end_offset);
  auto epoch = std::from_chars(name.data() + 21, name.data() + 31, id.epoch);
  if (offset.ptr != name.data() + 20 || epoch.ptr != name.data() + 31 || id.end_offset <= 0 || id.epoch < 0)
    return std::nullopt;
  return id;
}

// The control type of a batch's (only) record, or nullopt for a data batch.
std::optional<protocol::ControlRecordType> control_type(std::span<const uint8_t> batch) {
  auto header = protocol::parse_batch_header(batch);
  if (!header || !header->is_control()) return std::nullopt;
  auto records = protocol::decode_records(batch, kMaxMetadataBatchBytes);
  if (records.empty() || !records[0].key) return protocol::ControlRecordType::kUnknown;
  return protocol::parse_control_record_type(*records[0].key);
}

// The whole, CRC-valid batches of `bytes`; nullopt when it is anything else.
std::optional<std::vector<std::span<const uint8_t>>> whole_batches(std::span<const uint8_t> bytes) {
  try {
    auto batches = protocol::split_batches(bytes);
    for (auto batch : batches)
      if (!protocol::batch_crc_valid(batch)) return std::nullopt;
    return batches;
  } catch (const protocol::DecodeError&) {
    return std::nullopt;
  }
}
}  // namespace

bool valid_snapshot_chunk(std::span<const uint8_t> bytes, bool first, bool last) {
  auto batches = whole_batches(bytes);
  if (!batches || batches->empty()) return false;
  try {
    if (first && control_type(batches->front()) != protocol::ControlRecordType::kSnapshotHeader) return false;
    if (last && control_type(batches->back()) != protocol::ControlRecordType::kSnapshotFooter) return false;
  } catch (const protocol::DecodeError&) {
    return false;
  }
  return true;
}

SnapshotStore::SnapshotStore(std::filesystem::path dir) : dir_(std::move(dir)) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.ends_with(std::string(kSuffix) + std::string(kPartSuffix))) {
      spdlog::info("removing the partial snapshot {}", entry.path().string());
      std::filesystem::remove(entry.path(), ec);
    }
  }
}

std::filesystem::path SnapshotStore::path_of(raft::SnapshotId id) const {
  return dir_ / fmt::format("{:020d}-{:010d}{}", id.end_offset, id.epoch, kSuffix);
}

std::vector<raft::SnapshotId> SnapshotStore::list() const {
  std::vector<raft::SnapshotId> ids;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec))
    if (auto id = parse_name(entry.path().filename().string())) ids.push_back(*id);
  if (ec) throw storage::StorageError(fmt::format("cannot list {}: {}", dir_.string(), ec.message()));
  std::sort(ids.begin(), ids.end(), [](auto a, auto b) { return a.end_offset < b.end_offset; });
  return ids;
}

void SnapshotStore::write(raft::SnapshotId id, const std::vector<MetadataRecord>& records,
                          const std::optional<std::vector<QuorumVoter>>& voters, const std::string& listener,
                          int64_t now_ms) {
  std::vector<std::vector<uint8_t>> batches;
  protocol::SnapshotHeaderRecord header;
  header.last_contained_log_timestamp = now_ms;
  batches.push_back(build_control_batch(protocol::ControlRecordType::kSnapshotHeader, header, now_ms));
  if (voters) {
    batches.push_back(build_kraft_version_batch(now_ms));
    batches.push_back(build_voters_batch(*voters, listener, now_ms));
  }
  const std::span<const MetadataRecord> all(records);
  for (size_t first = 0; first < records.size(); first += kRecordsPerBatch)
    batches.push_back(build_metadata_batch(all.subspan(first, std::min(kRecordsPerBatch, records.size() - first)), now_ms));
  batches.push_back(
      build_control_batch(protocol::ControlRecordType::kSnapshotFooter, protocol::SnapshotFooterRecord{}, now_ms));
  // Offsets from 0 on, across the batches; the epoch is the snapshot's.
  int64_t next_offset = 0;
  std::vector<uint8_t> bytes;
  for (auto& batch : batches) {
    protocol::set_base_offset(batch, next_offset);
    protocol::set_partition_leader_epoch(batch, id.epoch);
    next_offset = protocol::parse_batch_header(batch)->last_offset() + 1;
    bytes.insert(bytes.end(), batch.begin(), batch.end());
  }
  write_chunk(id, 0, bytes);
  complete(id);
}

void SnapshotStore::write_bootstrap(const std::vector<QuorumVoter>& voters, const std::string& listener, int64_t now_ms) {
  write({0, 0}, {}, voters, listener, now_ms);
}

std::optional<std::vector<QuorumVoter>> SnapshotStore::read_voters(raft::SnapshotId id, const std::string& listener) const {
  std::error_code ec;
  if (!std::filesystem::exists(path_of(id), ec)) return std::nullopt;
  const auto bytes = read_file(id);
  if (!valid_snapshot_chunk(bytes, true, true))
    throw storage::StorageError(fmt::format("{} is not a whole snapshot", path_of(id).string()));
  try {
    auto found = voters_records_in(bytes, listener);
    if (found.empty()) return std::nullopt;
    return found.rbegin()->second;
  } catch (const protocol::DecodeError& e) {
    throw storage::StorageError(fmt::format("{}: {}", path_of(id).string(), e.what()));
  }
}

std::vector<uint8_t> SnapshotStore::read_file(raft::SnapshotId id) const {
  const auto path = path_of(id);
  auto file = storage::FileHandle::open(path, false);
  std::vector<uint8_t> bytes(file->size_bytes());
  if (file->read_at(bytes, 0) != bytes.size())
    throw storage::StorageError(fmt::format("{} shrank while being read", path.string()));
  return bytes;
}

std::vector<MetadataRecord> SnapshotStore::read_records(raft::SnapshotId id) const {
  const auto bytes = read_file(id);
  if (!valid_snapshot_chunk(bytes, true, true))
    throw storage::StorageError(fmt::format("{} is not a whole snapshot", path_of(id).string()));
  std::vector<MetadataRecord> records;
  try {
    for (auto batch : protocol::split_batches(bytes)) {
      if (protocol::parse_batch_header(batch)->is_control()) continue;
      for (const auto& record : protocol::decode_records(batch, kMaxMetadataBatchBytes)) {
        if (!record.value) continue;
        if (auto decoded = decode_metadata_record(*record.value)) records.push_back(std::move(*decoded));
      }
    }
  } catch (const protocol::DecodeError& e) {
    throw storage::StorageError(fmt::format("{}: {}", path_of(id).string(), e.what()));
  }
  return records;
}

std::optional<int64_t> SnapshotStore::size_bytes(raft::SnapshotId id) const {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path_of(id), ec);
  if (ec) return std::nullopt;
  return static_cast<int64_t>(size);
}

std::optional<std::vector<uint8_t>> SnapshotStore::read_chunk(raft::SnapshotId id, int64_t position,
                                                              int32_t max_bytes) const {
  std::vector<uint8_t> bytes;
  try {
    bytes = read_file(id);
  } catch (const storage::StorageError&) {
    return std::nullopt;  // gone (a newer snapshot replaced it)
  }
  if (position < 0 || position >= static_cast<int64_t>(bytes.size())) return std::nullopt;
  const std::span<const uint8_t> rest = std::span<const uint8_t>(bytes).subspan(static_cast<size_t>(position));
  protocol::BatchIterator batches(rest);
  size_t end = 0;
  try {
    while (auto batch = batches.next()) {
      if (end > 0 && end + batch->size() > static_cast<size_t>(max_bytes)) break;
      end += batch->size();
    }
  } catch (const protocol::DecodeError&) {
    return std::nullopt;  // not a batch boundary
  }
  if (end == 0) return std::nullopt;
  return std::vector<uint8_t>(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(end));
}

void SnapshotStore::write_chunk(raft::SnapshotId id, int64_t position, std::span<const uint8_t> bytes) {
  auto part = path_of(id);
  part += kPartSuffix;
  auto file = storage::FileHandle::open(part, true);
  if (position == 0) file->truncate(0);
  if (static_cast<int64_t>(file->size_bytes()) != position)
    throw storage::StorageError(fmt::format("{}: a chunk for position {} of a file of {} bytes", part.string(), position,
                                            file->size_bytes()));
  file->write_at(bytes, static_cast<uint64_t>(position));
}

void SnapshotStore::complete(raft::SnapshotId id) {
  auto part = path_of(id);
  part += kPartSuffix;
  storage::FileHandle::open(part, false)->sync();
  std::error_code ec;
  std::filesystem::rename(part, path_of(id), ec);
  if (ec) throw storage::StorageError(fmt::format("cannot rename {}: {}", part.string(), ec.message()));
  storage::sync_directory(dir_);
}

void SnapshotStore::remove_before(int64_t end_offset) {
  bool removed = false;
  for (auto id : list()) {
    if (id.end_offset >= end_offset) continue;
    std::error_code ec;
    std::filesystem::remove(path_of(id), ec);
    if (ec) throw storage::StorageError(fmt::format("cannot remove {}: {}", path_of(id).string(), ec.message()));
    removed = true;
  }
  if (removed) storage::sync_directory(dir_);
}

}  // namespace freshet::cluster
