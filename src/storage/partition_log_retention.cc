// PartitionLog: retention (deleting old segments), DeleteRecords' log start
// offset, and the deferred removal of deleted segments' files.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>
#include <string>

#include "storage/partition_log.h"
#include "storage/segment.h"

namespace freshet::storage {

RetentionOutcome PartitionLog::enforce_retention(int64_t now_ms, int64_t high_watermark) {
  assert(!closed_);
  RetentionOutcome outcome;
  outcome.files_due = take_due_retired_files(now_ms);
  if (active().idle_past_segment_ms(config_, now_ms)) roll(now_ms);

  // One pass over the oldest segments doing what Kafka's three passes do
  // (retention.ms, retention.bytes, log start): a segment deleted for any
  // reason also counts against the bytes over retention.bytes.
  const bool by_time = config_.delete_retention && config_.retention_ms >= 0;
  const bool by_size = config_.delete_retention && config_.retention_bytes >= 0;
  int64_t excess_bytes = by_size ? static_cast<int64_t>(size_bytes()) - config_.retention_bytes : 0;
  size_t doomed = 0;
  std::string reasons;
  auto note = [&reasons](std::string_view reason) {
    if (reasons.find(reason) == std::string::npos) reasons += reasons.empty() ? reason : ", " + std::string(reason);
  };
  for (; doomed < segments_.size(); ++doomed) {
    Segment& segment = *segments_[doomed];
    const bool last = doomed + 1 == segments_.size();
    const int64_t end_offset = last ? log_end_offset_ : segments_[doomed + 1]->base_offset();
    // The log start may never pass the high watermark; an empty active
    // segment is the log's end, not data to delete.
    if (end_offset > high_watermark || (last && segment.size_bytes() == 0)) break;
    const int64_t size = static_cast<int64_t>(segment.size_bytes());
    if (end_offset <= log_start_offset_) {
      note("below the log start offset");
    } else if (by_time && now_ms - segment.largest_timestamp_ms() > config_.retention_ms) {
      note("retention.ms breached by the largest record timestamp");
    } else if (by_size && excess_bytes - size >= 0) {
      note("retention.bytes breached");
    } else {
      break;
    }
    excess_bytes -= size;
  }
  if (doomed == 0) return outcome;

  outcome.segments = doomed;
  for (size_t i = 0; i < doomed; ++i) outcome.bytes += segments_[i]->size_bytes();
  const int64_t first_offset = segments_.front()->base_offset();
  if (doomed == segments_.size()) roll(now_ms);  // a log always has a segment
  retire_segments(doomed, now_ms);
  spdlog::info("{}: deleted {} segment(s), offsets [{}, {}), {} bytes: {}; log start offset {}", dir_.string(),
               outcome.segments, first_offset, segments_.front()->base_offset(), outcome.bytes, reasons,
               log_start_offset_);
  return outcome;
}

void PartitionLog::advance_log_start_offset(int64_t offset) {
  assert(!closed_);
  assert(offset <= log_end_offset_);
  if (offset <= log_start_offset_) return;
  log_start_offset_ = offset;
  start_offset_raised();
}

void PartitionLog::retire_files_of(size_t first, size_t count, int64_t now_ms) {
  assert(first + count <= segments_.size());
  RetiredFiles retired{now_ms + config_.file_delete_delay_ms, {}};
  for (size_t i = first; i < first + count; ++i) {
    auto paths = segments_[i]->retire_files();
    retired.paths.insert(retired.paths.end(), paths.begin(), paths.end());
  }
  sync_later(dir_handle_);
  // Kept sorted: file.delete.delay.ms may have changed since the last pass.
  auto at = std::upper_bound(retired_files_.begin(), retired_files_.end(), retired.due_ms,
                             [](int64_t due, const RetiredFiles& r) { return due < r.due_ms; });
  retired_files_.insert(at, std::move(retired));
}

void PartitionLog::retire_segments(size_t count, int64_t now_ms) {
  assert(count < segments_.size());
  retire_files_of(0, count, now_ms);
  segments_.erase(segments_.begin(), segments_.begin() + static_cast<std::ptrdiff_t>(count));

  const int64_t first_offset = segments_.front()->base_offset();
  delete_snapshots_if([first_offset](int64_t snapshot) { return snapshot < first_offset; });
  if (first_offset > log_start_offset_) {
    log_start_offset_ = first_offset;
    start_offset_raised();
  }
  recovery_point_ = std::max(recovery_point_, first_offset);
}

void PartitionLog::start_offset_raised() {
  if (epochs_.truncate_from_start(log_start_offset_)) persist_epochs();
}

std::vector<std::filesystem::path> PartitionLog::take_due_retired_files(int64_t now_ms) {
  auto due_end = std::find_if(retired_files_.begin(), retired_files_.end(),
                              [now_ms](const RetiredFiles& r) { return r.due_ms > now_ms; });
  std::vector<std::filesystem::path> due;
  for (auto it = retired_files_.begin(); it != due_end; ++it)
    due.insert(due.end(), std::make_move_iterator(it->paths.begin()), std::make_move_iterator(it->paths.end()));
  retired_files_.erase(retired_files_.begin(), due_end);
  return due;
}

void remove_retired_files(std::span<const std::filesystem::path> paths) {
  for (const auto& path : paths) {
    std::error_code ec;
    std::filesystem::remove(path, ec);
    if (ec) spdlog::warn("cannot remove {}: {}", path.string(), ec.message());
  }
}

}  // namespace freshet::storage
