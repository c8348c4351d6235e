#include "storage/segment.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>
#include <chrono>
#include <climits>
#include <system_error>

#include "storage/log_file_names.h"
#include "storage/storage_error.h"

namespace freshet::storage {

namespace {
// Read-ahead for header walks that start at an index entry (index.interval.bytes apart).
constexpr size_t kLookupBufferBytes = 16 * 1024;
// Read-ahead for recovery, which reads every byte.
constexpr size_t kRecoveryBufferBytes = 1024 * 1024;

// Bounds of the .log space reserved ahead of the end (see reserve_ahead()).
constexpr uint64_t kMinReserveAheadBytes = 64 * 1024;
constexpr uint64_t kMaxReserveAheadBytes = 16 * 1024 * 1024;

[[maybe_unused]] size_t total_bytes(std::span<const std::span<const uint8_t>> pieces) {
  size_t total = 0;
  for (auto piece : pieces) total += piece.size();
  return total;
}
}  // namespace

namespace {
// "<base><kind><name_suffix>" in `dir`.
std::filesystem::path segment_path(const std::filesystem::path& dir, int64_t base_offset, std::string_view kind,
                                   std::string_view name_suffix) {
  auto path = dir / segment_file_name(base_offset, kind);
  path += name_suffix;
  return path;
}
}  // namespace

Segment::Segment(const std::filesystem::path& dir, int64_t base_offset, const LogConfig& config, int64_t now_ms,
                 std::shared_ptr<FileHandle> log, std::string_view name_suffix)
    : log_path_(segment_path(dir, base_offset, kLogFileSuffix, name_suffix)),
      base_offset_(base_offset),
      index_interval_bytes_(config.index_interval_bytes),
      log_(std::move(log)),
      offset_index_(segment_path(dir, base_offset, kOffsetIndexFileSuffix, name_suffix), base_offset,
                    config.segment_index_bytes),
      time_index_(segment_path(dir, base_offset, kTimeIndexFileSuffix, name_suffix), base_offset,
                  config.segment_index_bytes),
      txn_index_(segment_path(dir, base_offset, kTxnIndexFileSuffix, name_suffix)),
      next_offset_(base_offset),
      max_timestamp_{-1, base_offset},
      created_ms_(now_ms) {}

std::unique_ptr<Segment> Segment::create(const std::filesystem::path& dir, int64_t base_offset,
                                         const LogConfig& config, int64_t now_ms, std::string_view name_suffix) {
  auto log = FileHandle::open(segment_path(dir, base_offset, kLogFileSuffix, name_suffix), /*create=*/true);
  log->truncate(0);
  // Every segment has its three files from the start, as in Kafka; the
  // indexes are filled when the segment is sealed.
  for (auto kind : {kOffsetIndexFileSuffix, kTimeIndexFileSuffix})
    FileHandle::open(segment_path(dir, base_offset, kind, name_suffix), /*create=*/true)->truncate(0);
  std::unique_ptr<Segment> segment(new Segment(dir, base_offset, config, now_ms, std::move(log), name_suffix));
  segment->loaded_ = true;
  return segment;
}

std::unique_ptr<Segment> Segment::open(const std::filesystem::path& dir, int64_t base_offset, const LogConfig& config,
                                       int64_t now_ms) {
  auto log = FileHandle::open(dir / segment_file_name(base_offset, kLogFileSuffix), /*create=*/false);
  std::unique_ptr<Segment> segment(new Segment(dir, base_offset, config, now_ms, std::move(log), {}));
  segment->size_bytes_ = segment->log_->size_bytes();
  return segment;
}

void Segment::record_batch(const protocol::RecordBatchHeader& header, uint64_t position) {
  if (header.max_timestamp > max_timestamp_.timestamp) max_timestamp_ = {header.max_timestamp, header.last_offset()};
  if (bytes_since_last_index_entry_ > index_interval_bytes_ && !offset_index_.full()) {
    offset_index_.append(header.last_offset(), static_cast<uint32_t>(position));
    time_index_.maybe_append(max_timestamp_.timestamp, max_timestamp_.offset);
    bytes_since_last_index_entry_ = 0;
  }
  bytes_since_last_index_entry_ += header.total_size();
  size_bytes_ = position + header.total_size();
  next_offset_ = header.last_offset() + 1;
}

void Segment::load() {
  if (loaded_) return;
  bool indexes_ok = offset_index_.load(size_bytes_) && time_index_.load();
  if (indexes_ok) {
    max_timestamp_ = time_index_.last().value_or(TimeIndexEntry{-1, base_offset_});
    std::optional<int64_t> expected;
    uint64_t start = 0;
    if (offset_index_.entries() > 0) {
      OffsetIndexEntry last = offset_index_.entry(offset_index_.entries() - 1);
      expected = last.offset;
      start = last.position;
    }
    bytes_since_last_index_entry_ = size_bytes_ - start;
    indexes_ok = scan_tail(start, expected);
  }
  if (!indexes_ok) {
    spdlog::warn("rebuilding the indexes of {}", log_path_.string());
    recover(nullptr);
  }
  loaded_ = true;
}

bool Segment::scan_tail(uint64_t start, std::optional<int64_t> expected_first_last_offset) {
  BatchScanner scanner(*log_, start, size_bytes_, kLookupBufferBytes);
  while (auto batch = scanner.next()) {
    const auto& h = batch->header;
    if (expected_first_last_offset && h.last_offset() != *expected_first_last_offset) return false;
    expected_first_last_offset.reset();
    if (h.max_timestamp > max_timestamp_.timestamp) max_timestamp_ = {h.max_timestamp, h.last_offset()};
    next_offset_ = h.last_offset() + 1;
  }
  return !scanner.stopped_early() && !expected_first_last_offset;
}

uint64_t Segment::recover(const BatchVisitor& on_batch) {
  offset_index_.clear();
  time_index_.clear();
  max_timestamp_ = {-1, base_offset_};
  bytes_since_last_index_entry_ = 0;
  next_offset_ = base_offset_;
  rolling_timestamp_.reset();
  uint64_t file_bytes = log_->size_bytes();
  size_bytes_ = 0;

  BatchScanner scanner(*log_, 0, file_bytes, kRecoveryBufferBytes);
  while (auto batch = scanner.next()) {
    const auto& h = batch->header;
    bool offsets_ok = h.base_offset >= next_offset_ && h.last_offset() - base_offset_ <= INT32_MAX;
    std::span<const uint8_t> bytes = scanner.current_bytes();
    if (!offsets_ok || !protocol::batch_crc_valid(bytes)) break;
    record_batch(h, batch->position);
    if (on_batch) on_batch(h, bytes);
  }
  uint64_t dropped = file_bytes - size_bytes_;
  if (dropped > 0) {
    spdlog::warn("{}: dropping {} bytes of torn or corrupt data after byte {}", log_path_.string(), dropped,
                 size_bytes_);
    log_->truncate(size_bytes_);
  }
  time_index_.maybe_append(max_timestamp_.timestamp, max_timestamp_.offset);
  offset_index_.file().persist();
  time_index_.file().persist();
  loaded_ = true;
  return dropped;
}

bool Segment::should_roll(const LogConfig& config, size_t batch_bytes, int64_t last_offset, int64_t max_timestamp,
                          int64_t now_ms) {
  assert(loaded_);
  if (size_bytes_ == 0) return false;
  if (size_bytes_ + batch_bytes > config.segment_bytes) return true;
  if (offset_index_.full() || time_index_.full()) return true;
  if (last_offset - base_offset_ > INT32_MAX) return true;
  return waited_for_roll_ms(max_timestamp, now_ms) > config.segment_ms;
}

bool Segment::idle_past_segment_ms(const LogConfig& config, int64_t now_ms) {
  assert(loaded_);
  return size_bytes_ > 0 && waited_for_roll_ms(now_ms, now_ms) > config.segment_ms;
}

int64_t Segment::first_batch_timestamp_ms() {
  if (!rolling_timestamp_) {
    BatchScanner scanner(*log_, 0, size_bytes_, protocol::kRecordBatchHeaderSize);
    auto first = scanner.next();
    rolling_timestamp_ = first ? first->header.max_timestamp : -1;
  }
  return *rolling_timestamp_;
}

int64_t Segment::waited_for_roll_ms(int64_t timestamp_ms, int64_t now_ms) {
  const int64_t first = first_batch_timestamp_ms();
  return first >= 0 ? timestamp_ms - first : now_ms - created_ms_;
}

void Segment::append(std::span<const std::span<const uint8_t>> pieces, const protocol::RecordBatchHeader& header) {
  assert(loaded_);
  assert(total_bytes(pieces) == header.total_size());
  assert(header.base_offset >= next_offset_);
  uint64_t position = size_bytes_;
  reserve_ahead(position + header.total_size());
  log_->write_gather_at(pieces, position);
  if (position == 0) rolling_timestamp_ = header.max_timestamp;
  record_batch(header, position);
}

void Segment::reserve_ahead(uint64_t end) {
  if (end <= reserved_end_ || !can_reserve_) return;
  uint64_t from = std::max(reserved_end_, size_bytes_);
  uint64_t to = end + std::clamp(size_bytes_, kMinReserveAheadBytes, kMaxReserveAheadBytes);
  if (log_->reserve(from, to - from))
    reserved_end_ = to;
  else
    can_reserve_ = false;
}

std::optional<BatchLocation> Segment::find_offset(int64_t offset) {
  load();
  BatchScanner scanner(*log_, offset_index_.lookup(offset).position, size_bytes_, kLookupBufferBytes);
  while (auto batch = scanner.next()) {
    if (batch->header.last_offset() >= offset) return batch;
  }
  return std::nullopt;
}

Segment::BatchRangeEnd Segment::whole_batches_end(uint64_t from, int64_t from_offset, uint64_t limit,
                                                  int64_t max_offset) {
  load();
  limit = std::min(limit, size_bytes_);
  if (limit == size_bytes_ && max_offset >= next_offset_) return {size_bytes_, next_offset_};
  // Index entries are batch starts, and every batch before the entry for
  // max_offset ends below it: scan from the latest start both allow.
  uint64_t start = std::max<uint64_t>(
      from, std::min(offset_index_.lookup_position(limit).position, offset_index_.lookup(max_offset).position));
  BatchRangeEnd end{from, from_offset};
  BatchScanner scanner(*log_, start, size_bytes_, kLookupBufferBytes);
  while (auto batch = scanner.next()) {
    if (batch->position + batch->header.total_size() > limit || batch->header.last_offset() >= max_offset) {
      if (batch->position == start && start != from) end = {start, batch->header.base_offset};
      break;
    }
    end = {batch->position + batch->header.total_size(), batch->header.last_offset() + 1};
  }
  return end;
}

std::optional<BatchLocation> Segment::find_timestamp(int64_t timestamp_ms, int64_t min_offset) {
  load();
  int64_t from_offset = std::max(time_index_.lookup(timestamp_ms).offset, min_offset);
  BatchScanner scanner(*log_, offset_index_.lookup(from_offset).position, size_bytes_, kLookupBufferBytes);
  while (auto batch = scanner.next()) {
    if (batch->header.max_timestamp >= timestamp_ms && batch->header.last_offset() >= min_offset) return batch;
  }
  return std::nullopt;
}

void Segment::read(std::span<uint8_t> out, uint64_t position) const {
  assert(position + out.size() <= size_bytes_);
  if (log_->read_at(out, position) != out.size()) throw StorageError("short read from " + log_path_.string());
}

void Segment::truncate_to(int64_t offset, int64_t now_ms) {
  auto cut = find_offset(offset);
  if (!cut) return;
  offset_index_.truncate_to(offset);
  time_index_.truncate_to(offset);
  txn_index_.truncate_to(std::min(offset, cut->header.base_offset));
  log_->truncate(cut->position);
  size_bytes_ = cut->position;
  reserved_end_ = size_bytes_;
  next_offset_ = std::min(offset, cut->header.base_offset);

  // Recompute the max timestamp and the index spacing from what is left.
  max_timestamp_ = time_index_.last().value_or(TimeIndexEntry{-1, base_offset_});
  uint64_t last_entry_position =
      offset_index_.entries() > 0 ? offset_index_.entry(offset_index_.entries() - 1).position : 0;
  BatchScanner scanner(*log_, offset_index_.lookup(max_timestamp_.offset).position, size_bytes_, kLookupBufferBytes);
  while (auto batch = scanner.next()) {
    if (batch->header.max_timestamp > max_timestamp_.timestamp)
      max_timestamp_ = {batch->header.max_timestamp, batch->header.last_offset()};
  }
  bytes_since_last_index_entry_ = size_bytes_ - last_entry_position;
  if (size_bytes_ == 0) {
    rolling_timestamp_.reset();
    created_ms_ = now_ms;
  }
}

void Segment::seal() {
  load();
  if (reserved_end_ > size_bytes_) {
    log_->truncate(size_bytes_);
    reserved_end_ = size_bytes_;
  }
  time_index_.maybe_append(max_timestamp_.timestamp, max_timestamp_.offset);
  offset_index_.file().persist();
  time_index_.file().persist();
}

void Segment::collect_handles(std::vector<std::shared_ptr<FileHandle>>& out, bool with_indexes) const {
  out.push_back(log_);
  if (!with_indexes) return;
  if (offset_index_.file().handle()) out.push_back(offset_index_.file().handle());
  if (time_index_.file().handle()) out.push_back(time_index_.file().handle());
  if (txn_index_.handle()) out.push_back(txn_index_.handle());
}

std::vector<std::filesystem::path> Segment::retire_files() {
  std::vector<std::filesystem::path> retired;
  const std::filesystem::path* paths[] = {&log_path_, &offset_index_.file().path(), &time_index_.file().path(),
                                          &txn_index_.path()};
  for (const std::filesystem::path* path : paths) {
    std::filesystem::path doomed = *path;
    doomed += kDeletedFileSuffix;
    std::error_code ec;
    std::filesystem::rename(*path, doomed, ec);
    if (!ec)
      retired.push_back(std::move(doomed));
    else if (ec != std::errc::no_such_file_or_directory)  // an index never written
      throw StorageError(fmt::format("cannot rename {}: {}", path->string(), ec.message()));
  }
  return retired;
}

int64_t Segment::largest_timestamp_ms() {
  load();
  if (max_timestamp_.timestamp >= 0) return max_timestamp_.timestamp;
  std::error_code ec;
  auto modified = std::filesystem::last_write_time(log_path_, ec);
  if (ec) return created_ms_;
  auto since_epoch = std::chrono::file_clock::to_sys(modified).time_since_epoch();
  return std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count();
}

void Segment::remove_files() {
  offset_index_.file().remove_file();
  time_index_.file().remove_file();
  txn_index_.remove_file();
  std::error_code ec;
  std::filesystem::remove(log_path_, ec);
}

}  // namespace freshet::storage
