// PartitionLog: compaction's side of the log owner: which segments a
// cleaning may read, swapping its output in, and finishing a swap a crash
// interrupted.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>
#include <system_error>

#include "storage/batch_scanner.h"
#include "storage/log_file_names.h"
#include "storage/partition_log.h"
#include "storage/segment.h"
#include "storage/storage_error.h"

namespace freshet::storage {

namespace {

// A segment's index files, renamed before its .log (which marks the swap
// as complete) and after it is gone.
constexpr std::string_view kIndexSuffixes[] = {kOffsetIndexFileSuffix, kTimeIndexFileSuffix, kTxnIndexFileSuffix};

std::filesystem::path with_suffix(std::filesystem::path path, std::string_view suffix) {
  path += suffix;
  return path;
}

void rename_file(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::error_code ec;
  std::filesystem::rename(from, to, ec);
  if (ec) throw StorageError(fmt::format("cannot rename {} to {}: {}", from.string(), to.string(), ec.message()));
}

void remove_file(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::remove(path, ec);
  if (ec) throw StorageError(fmt::format("cannot remove {}: {}", path.string(), ec.message()));
}

}  // namespace

std::optional<CleaningJob> PartitionLog::plan_cleaning(int64_t now_ms, int64_t uncleanable_offset) {
  assert(!closed_);
  if (!config_.compact) return std::nullopt;
  if (cleaner_offset_ < log_start_offset_ || cleaner_offset_ > log_end_offset_) {
    if (cleaner_offset_ >= 0)
      spdlog::warn("{}: cleaner offset {} is outside the log [{}, {}]; cleaning from the log start", dir_.string(),
                   cleaner_offset_, log_start_offset_, log_end_offset_);
    cleaner_offset_ = log_start_offset_;
  }

  // The sealed segments wholly below the uncleanable offset, and past
  // min.compaction.lag.ms.
  size_t cleanable = 0;
  for (; cleanable + 1 < segments_.size(); ++cleanable) {
    Segment& segment = *segments_[cleanable];
    if (segments_[cleanable + 1]->base_offset() > uncleanable_offset) break;
    if (config_.min_compaction_lag_ms > 0 && segment.largest_timestamp_ms() > now_ms - config_.min_compaction_lag_ms)
      break;
  }
  if (cleanable == 0) return std::nullopt;

  CleaningJob job;
  uint64_t total_bytes = 0;
  std::optional<size_t> first_dirty;
  for (size_t i = 0; i < cleanable; ++i) {
    const Segment& segment = *segments_[i];
    const int64_t end_offset = segments_[i + 1]->base_offset();
    job.segments.push_back({segment.base_offset(), end_offset, segment.size_bytes(), segment.log_file()});
    total_bytes += segment.size_bytes();
    if (end_offset > cleaner_offset_) {
      job.dirty_bytes += segment.size_bytes();
      if (!first_dirty) first_dirty = i;
    }
  }
  if (!first_dirty || job.dirty_bytes == 0) return std::nullopt;
  job.dirty_ratio = static_cast<double>(job.dirty_bytes) / static_cast<double>(total_bytes);
  const int64_t first_dirty_timestamp = segments_[*first_dirty]->first_batch_timestamp_ms();
  const bool overdue = first_dirty_timestamp >= 0 && now_ms - first_dirty_timestamp > config_.max_compaction_lag_ms;
  if (job.dirty_ratio < config_.min_cleanable_dirty_ratio && !overdue) return std::nullopt;

  job.dir = dir_;
  job.config = config_;
  job.generation = generation_;
  job.dirty_offset = cleaner_offset_;
  job.aborted = aborted_transactions(job.segments.front().base_offset, job.segments.back().end_offset);
  for (const auto& producer : producers_.last_data_offsets()) job.producer_last_offsets.insert(producer);
  return job;
}

bool PartitionLog::install_cleaned(const CleaningJob& job, const CleaningResult& result, int64_t now_ms) {
  assert(!closed_);
  size_t replaced = 0;
  for (const auto& cleaned : result.segments) replaced += cleaned.replaced;
  bool current = generation_ == job.generation && replaced <= job.segments.size() && replaced < segments_.size();
  for (size_t i = 0; current && i < replaced; ++i)
    current = segments_[i]->base_offset() == job.segments[i].base_offset &&
              segments_[i]->size_bytes() == job.segments[i].size_bytes;
  if (!current) {
    spdlog::info("{}: the log changed while it was cleaned; the cleaning is discarded", dir_.string());
    discard_cleaned(result);
    return false;
  }
  for (size_t i = 0; i < result.segments.size(); ++i) swap_in(i, result.segments[i], now_ms);
  cleaner_offset_ = std::max(cleaner_offset_, result.cleaned_to_offset);
  return true;
}

void PartitionLog::swap_in(size_t at, const CleanedSegment& cleaned, int64_t now_ms) {
  assert(at + cleaned.replaced < segments_.size());
  assert(segments_[at]->base_offset() == cleaned.base_offset);
  const auto log_path = dir_ / segment_file_name(cleaned.base_offset, kLogFileSuffix);
  // 1. The output becomes "*.swap", its .log last: a .log.swap is complete.
  for (auto kind : kIndexSuffixes) {
    const auto path = dir_ / segment_file_name(cleaned.base_offset, kind);
    rename_file(with_suffix(path, kCleanedFileSuffix), with_suffix(path, kSwapFileSuffix));
  }
  rename_file(with_suffix(log_path, kCleanedFileSuffix), with_suffix(log_path, kSwapFileSuffix));
  // 2. The replaced segments go (their readers keep their open handles).
  retire_files_of(at, cleaned.replaced, now_ms);
  // 3. The output takes the first one's names, its .log last.
  for (auto kind : kIndexSuffixes) {
    const auto path = dir_ / segment_file_name(cleaned.base_offset, kind);
    rename_file(with_suffix(path, kSwapFileSuffix), path);
  }
  rename_file(with_suffix(log_path, kSwapFileSuffix), log_path);
  sync_later(dir_handle_);

  auto first = segments_.begin() + static_cast<std::ptrdiff_t>(at);
  *first = Segment::open(dir_, cleaned.base_offset, config_, now_ms);
  segments_.erase(first + 1, first + static_cast<std::ptrdiff_t>(cleaned.replaced));
}

void PartitionLog::discard_cleaned(const CleaningResult& result) {
  for (const auto& cleaned : result.segments) {
    for (auto kind : {kLogFileSuffix, kOffsetIndexFileSuffix, kTimeIndexFileSuffix, kTxnIndexFileSuffix}) {
      std::error_code ec;
      std::filesystem::remove(with_suffix(dir_ / segment_file_name(cleaned.base_offset, kind), kCleanedFileSuffix), ec);
    }
  }
}

void PartitionLog::complete_interrupted_swaps() {
  std::vector<int64_t> swapped;  // bases of complete swaps
  std::vector<int64_t> segment_bases;
  std::error_code ec;
  const std::string log_swap_suffix = fmt::format("{}{}", kLogFileSuffix, kSwapFileSuffix);
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (auto base = parse_segment_file_name(name, log_swap_suffix)) swapped.push_back(*base);
    if (auto base = parse_segment_file_name(name, kLogFileSuffix)) segment_bases.push_back(*base);
  }
  if (ec) throw StorageError(fmt::format("cannot list {}: {}", dir_.string(), ec.message()));

  for (int64_t base : swapped) {
    const auto log_path = dir_ / segment_file_name(base, kLogFileSuffix);
    // The old segments it covers: those based in [base, its end).
    auto swap_log = FileHandle::open(with_suffix(log_path, kSwapFileSuffix), /*create=*/false);
    int64_t end_offset = base;
    BatchScanner scanner(*swap_log, 0, swap_log->size_bytes(), 1024 * 1024);
    while (auto batch = scanner.next()) end_offset = batch->header.last_offset() + 1;
    spdlog::warn("{}: finishing the swap of cleaned segment {} (offsets [{}, {}))", dir_.string(), base, base,
                 end_offset);
    for (int64_t old : segment_bases) {
      if (old <= base || old >= end_offset) continue;
      remove_file(dir_ / segment_file_name(old, kLogFileSuffix));
      for (auto kind : kIndexSuffixes) remove_file(dir_ / segment_file_name(old, kind));
    }
    // An index file of the first one's name is the old segment's when the
    // swap's own is still there, else the swap's already renamed.
    for (auto kind : kIndexSuffixes) {
      const auto path = dir_ / segment_file_name(base, kind);
      if (!std::filesystem::exists(with_suffix(path, kSwapFileSuffix))) continue;
      remove_file(path);
      rename_file(with_suffix(path, kSwapFileSuffix), path);
    }
    rename_file(with_suffix(log_path, kSwapFileSuffix), log_path);
    sync_later(dir_handle_);
  }
}

}  // namespace freshet::storage
