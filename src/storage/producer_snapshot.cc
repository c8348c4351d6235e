#include "storage/producer_snapshot.h"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>
#include <system_error>

#include "protocol/crc32c.h"
#include "protocol/wire.h"
#include "storage/big_endian.h"
#include "storage/file_handle.h"
#include "storage/log_file_names.h"
#include "storage/storage_error.h"

namespace freshet::storage {

namespace {
constexpr int16_t kSnapshotVersion = 1;
constexpr size_t kCrcOffset = 2;
constexpr size_t kEntriesOffset = kCrcOffset + 4;  // the CRC covers [kEntriesOffset, end)
constexpr size_t kEntryBytes = 46;
}  // namespace

std::vector<uint8_t> encode_producer_snapshot(std::span<const ProducerSnapshotEntry> entries) {
  protocol::Writer out;
  out.i16(kSnapshotVersion);
  out.u32(0);  // the CRC, filled in below
  out.i32(static_cast<int32_t>(entries.size()));
  for (const auto& e : entries) {
    out.i64(e.producer_id);
    out.i16(e.producer_epoch);
    out.i32(e.last_sequence);
    out.i64(e.last_offset);
    out.i32(e.offset_delta);
    out.i64(e.timestamp);
    out.i32(e.coordinator_epoch);
    out.i64(e.current_txn_first_offset);
  }
  std::vector<uint8_t> bytes = out.take();
  store_be32(bytes.data() + kCrcOffset, protocol::crc32c(std::span<const uint8_t>(bytes).subspan(kEntriesOffset)));
  return bytes;
}

std::vector<ProducerSnapshotEntry> decode_producer_snapshot(std::span<const uint8_t> bytes) {
  if (bytes.size() < kEntriesOffset + 4)
    throw CorruptSnapshotError(fmt::format("snapshot of {} bytes is shorter than its header", bytes.size()));
  protocol::Reader in(bytes);
  int16_t version = in.i16();
  if (version != kSnapshotVersion)
    throw CorruptSnapshotError(fmt::format("snapshot contained an unknown file version {}", version));
  uint32_t stored_crc = in.u32();
  uint32_t computed_crc = protocol::crc32c(bytes.subspan(kEntriesOffset));
  if (stored_crc != computed_crc)
    throw CorruptSnapshotError(
        fmt::format("snapshot is corrupt: stored crc {}, computed crc {}", stored_crc, computed_crc));
  int32_t count = in.i32();
  if (count < 0 || in.remaining() != static_cast<size_t>(count) * kEntryBytes)
    throw CorruptSnapshotError(fmt::format("snapshot declares {} entries in {} bytes", count, in.remaining()));
  std::vector<ProducerSnapshotEntry> entries(static_cast<size_t>(count));
  for (auto& e : entries) {
    e.producer_id = in.i64();
    e.producer_epoch = in.i16();
    e.last_sequence = in.i32();
    e.last_offset = in.i64();
    e.offset_delta = in.i32();
    e.timestamp = in.i64();
    e.coordinator_epoch = in.i32();
    e.current_txn_first_offset = in.i64();
  }
  return entries;
}

void write_producer_snapshot(const std::filesystem::path& path, std::span<const ProducerSnapshotEntry> entries) {
  std::vector<uint8_t> bytes = encode_producer_snapshot(entries);
  write_file_atomically(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

std::vector<ProducerSnapshotEntry> read_producer_snapshot(const std::filesystem::path& path) {
  auto file = FileHandle::open(path, /*create=*/false);
  std::vector<uint8_t> bytes(file->size_bytes());
  if (file->read_at(bytes, 0) != bytes.size()) throw StorageError("short read from " + path.string());
  return decode_producer_snapshot(bytes);
}

std::vector<int64_t> list_producer_snapshots(const std::filesystem::path& dir) {
  std::vector<int64_t> offsets;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (auto offset = parse_segment_file_name(entry.path().filename().string(), kProducerSnapshotFileSuffix))
      offsets.push_back(*offset);
  }
  if (ec) throw StorageError(fmt::format("cannot list {}: {}", dir.string(), ec.message()));
  std::sort(offsets.begin(), offsets.end());
  return offsets;
}

}  // namespace freshet::storage
