// One cleaning of one compacted partition log (Kafka's Cleaner.doClean).
// The log's owner plans it (PartitionLog::plan_cleaning), a cleaner thread
// runs it (clean_log), the owner installs the result
// (PartitionLog::install_cleaned). The cleaner reads only sealed segments,
// which no one writes, through their own file handles, and writes new
// segments beside them under "<base>.log.cleaned" & co; the owner's log is
// never touched from the cleaner thread.
//
// A cleaning maps the dirty part of the log (from the cleaner checkpoint to
// the first uncleanable offset) key -> latest offset, as far as the map
// holds, then rewrites every segment from the log start through the last
// one mapped, merged into groups of at most segment.bytes, keeping what
// compact_batch / compact_control_batch keep.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "storage/file_handle.h"
#include "storage/io_throttle.h"
#include "storage/log_config.h"
#include "storage/offset_map.h"
#include "storage/transaction_index.h"

namespace freshet::storage {

// Suffixes of the cleaner's output while it is written, and while it is
// being swapped in (Kafka's names).
inline constexpr std::string_view kCleanedFileSuffix = ".cleaned";
inline constexpr std::string_view kSwapFileSuffix = ".swap";

// A sealed segment to clean.
struct CleanerInput {
  int64_t base_offset = 0;
  int64_t end_offset = 0;  // the next segment's base offset
  uint64_t size_bytes = 0;
  std::shared_ptr<FileHandle> log;
};

struct CleaningJob {
  std::filesystem::path dir;  // the partition's
  LogConfig config;
  uint64_t generation = 0;  // the log's truncation count when planned
  // The log's segments from its first on, all sealed, ascending and
  // contiguous: the cleanable part of the log.
  std::vector<CleanerInput> segments;
  // The first offset no earlier cleaning has mapped (the cleaner
  // checkpoint): the dirty part is [dirty_offset, segments.back().end_offset).
  int64_t dirty_offset = 0;
  uint64_t dirty_bytes = 0;
  double dirty_ratio = 0;  // dirty bytes / bytes of `segments`
  // The aborted transactions overlapping `segments`.
  std::vector<AbortedTxn> aborted;
  // Producer id -> last offset of its last data batch: that batch keeps its
  // header even when no record stays, for the producer's sequence and epoch.
  std::unordered_map<int64_t, int64_t> producer_last_offsets;
};

// One output segment, replacing `replaced` consecutive inputs.
struct CleanedSegment {
  int64_t base_offset = 0;  // the first replaced input's
  size_t replaced = 0;
  uint64_t size_bytes = 0;
};

struct CleaningStats {
  uint64_t bytes_read = 0;
  uint64_t bytes_written = 0;
  uint64_t batches_read = 0;
  uint64_t batches_written = 0;
  uint64_t keys_mapped = 0;
};

struct CleaningResult {
  // Replace job.segments[0 .. sum of replaced), in order.
  std::vector<CleanedSegment> segments;
  // The next cleaning's dirty offset: every offset below was mapped.
  int64_t cleaned_to_offset = 0;
  CleaningStats stats;
};

// clean_log() saw its stop flag.
class CleaningStopped : public std::runtime_error {
 public:
  CleaningStopped() : std::runtime_error("cleaning stopped") {}
};

struct CleanerTools {
  OffsetMap* map = nullptr;  // cleared by clean_log()
  IoThrottle* throttle = nullptr;
  const std::atomic<bool>* stop = nullptr;
  size_t io_buffer_bytes = 512 * 1024;  // log.cleaner.io.buffer.size
};

// Runs `job` on the calling thread; `now_ms` (wall-clock) dates delete
// horizons. Every output file is synced before it returns. Throws
// StorageError, protocol::DecodeError (a batch that fails its CRC or cannot
// be decoded) or CleaningStopped, having removed what it wrote.
CleaningResult clean_log(const CleaningJob& job, const CleanerTools& tools, int64_t now_ms);

// The memory a job's offset map needs at most: one slot per offset of the
// dirty range, within `limit_bytes` (log.cleaner.dedupe.buffer.size).
size_t offset_map_bytes_for(const CleaningJob& job, size_t limit_bytes, double load_factor);

}  // namespace freshet::storage
