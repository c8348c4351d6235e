// One segment of a partition log: <base>.log (record batches back to back),
// <base>.index and <base>.timeindex (sparse, Kafka's formats), and
// <base>.txnindex (the transactions aborted by markers in this segment, kept
// up to date by the partition log, which knows the producers).
//
// Appends are one pwritev at the end of the .log (page cache; no user-space
// buffer, so acks=1 data survives a crash of the process), into disk blocks
// reserved ahead of the end (see reserve_ahead()). Index entries are
// kept in memory and written to their files when the segment is sealed (rolled
// or closed); a crash before that is repaired by recovery, which rebuilds the
// indexes of every segment past the recovery point.
//
// A segment opened from disk does not read its indexes until first used
// (load()), so a partition with many segments opens in a few syscalls per
// segment. Owner thread only; the log handle may be synced from any thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "protocol/record_batch.h"
#include "storage/batch_scanner.h"
#include "storage/file_handle.h"
#include "storage/log_config.h"
#include "storage/offset_index.h"
#include "storage/time_index.h"
#include "storage/transaction_index.h"

namespace freshet::storage {

class Segment {
 public:
  // Creates the (empty) files of a new segment. The cleaner writes its
  // output under other names ("<base>.log.cleaned" & co: `name_suffix`),
  // which the log renames into place and opens afresh.
  static std::unique_ptr<Segment> create(const std::filesystem::path& dir, int64_t base_offset, const LogConfig& config,
                                         int64_t now_ms, std::string_view name_suffix = {});
  // Opens an existing segment's .log; nothing else is read until load().
  static std::unique_ptr<Segment> open(const std::filesystem::path& dir, int64_t base_offset, const LogConfig& config,
                                       int64_t now_ms);

  int64_t base_offset() const { return base_offset_; }
  uint64_t size_bytes() const { return size_bytes_; }

  // Reads the indexes and scans the tail after the last index entry (a few KB)
  // to learn next_offset() and the max timestamp. Missing or inconsistent
  // indexes or a malformed tail are repaired with recover().
  void load();

  // Rebuilds the offset and time indexes from the .log, validating every
  // batch (header sanity, CRC, offsets ascending and within int32 of the base
  // offset), and truncates the .log at the first invalid batch. `on_batch`
  // sees every valid batch in order, with its whole bytes. Returns the number
  // of bytes dropped. The transaction index is left alone.
  using BatchVisitor = std::function<void(const protocol::RecordBatchHeader&, std::span<const uint8_t> batch)>;
  uint64_t recover(const BatchVisitor& on_batch);

  // --- valid after load() / recover() / create()
  // Offset after the last batch (base_offset() when empty).
  int64_t next_offset() const { return next_offset_; }
  // The largest batch max_timestamp and the last offset of the batch where it
  // first appeared; {-1, base_offset()} when empty.
  TimeIndexEntry max_timestamp() const { return max_timestamp_; }

  // True when a batch of `batch_bytes` ending at `last_offset` with
  // `max_timestamp` must go to a new segment: config.segment_bytes would be
  // exceeded, config.segment_ms has passed since the first batch's timestamp
  // (or since creation when it has none), an index is full, or the offset
  // would not fit the indexes' int32 relative offsets. An empty segment never
  // rolls. The index settings are the segment's own (fixed at creation).
  bool should_roll(const LogConfig& config, size_t batch_bytes, int64_t last_offset, int64_t max_timestamp,
                   int64_t now_ms);
  // Whether a non-empty segment that gets no appends is due to roll by
  // segment.ms at `now_ms` (as if a batch stamped now_ms arrived).
  bool idle_past_segment_ms(const LogConfig& config, int64_t now_ms);

  // Appends a batch whose header already carries its assigned offsets, given
  // as consecutive pieces (e.g. a rewritten header prefix and the rest of the
  // producer's bytes) that are written with one pwritev.
  void append(std::span<const std::span<const uint8_t>> pieces, const protocol::RecordBatchHeader& header);

  // Where a read of whole batches from `from` (the start of the batch holding
  // `from_offset`) ends: after the last batch that ends at or before `limit`
  // and whose last offset is below `max_offset`; {from, from_offset} when not
  // even the first one does. Reads batch headers only, from the nearest index
  // entry: O(index.interval.bytes), not O(bytes read).
  struct BatchRangeEnd {
    uint64_t position;
    int64_t next_offset;  // the offset after the last batch in the range
  };
  BatchRangeEnd whole_batches_end(uint64_t from, int64_t from_offset, uint64_t limit, int64_t max_offset);

  // The open .log, for reads that outlive this call (e.g. sendfile of a
  // Fetch response): the descriptor stays open while the handle lives.
  std::shared_ptr<FileHandle> log_file() const { return log_; }

  // The first batch whose last offset >= offset; nullopt when none.
  std::optional<BatchLocation> find_offset(int64_t offset);
  // The first batch with max_timestamp >= timestamp_ms and last offset >=
  // min_offset; nullopt when none.
  std::optional<BatchLocation> find_timestamp(int64_t timestamp_ms, int64_t min_offset);
  // Reads `out.size()` bytes at `position` (must be within the segment).
  void read(std::span<uint8_t> out, uint64_t position) const;

  // Removes the batch holding `offset` (or the first one after it) and all
  // later ones, and the aborted transactions they ended. next_offset()
  // becomes min(offset, that batch's base offset).
  void truncate_to(int64_t offset, int64_t now_ms);

  TransactionIndex& txn_index() { return txn_index_; }

  // The segment stops receiving appends (roll or close): appends the final
  // time index entry (the max timestamp), writes both index files and
  // releases the .log's blocks reserved past its end.
  void seal();
  // Appends the handles to sync for this segment's data: the .log, plus (when
  // `with_indexes`) the index files seal() or recover() wrote and the
  // transaction index once written.
  void collect_handles(std::vector<std::shared_ptr<FileHandle>>& out, bool with_indexes) const;
  // Deletes the segment's files (open handles stay valid until dropped).
  void remove_files();
  // Retention: renames the segment's files to "<name>.deleted" (Kafka's
  // asynchronous deletion, removed for good file.delete.delay.ms later) and
  // returns their new paths. Open handles stay valid; the segment must not
  // be used afterwards.
  std::vector<std::filesystem::path> retire_files();

  // max.compaction.lag.ms: the first batch's max timestamp; -1 when the
  // segment is empty or that batch has none.
  int64_t first_batch_timestamp_ms();

  // Retention by time: the largest record timestamp (load()s the segment),
  // or the .log's modification time when no batch has one (Kafka's
  // largestTimestamp).
  int64_t largest_timestamp_ms();

 private:
  Segment(const std::filesystem::path& dir, int64_t base_offset, const LogConfig& config, int64_t now_ms,
          std::shared_ptr<FileHandle> log, std::string_view name_suffix);
  // segment.ms's clock (Kafka's timeWaitedForRoll): from the first batch's
  // max timestamp to `timestamp_ms`, or from creation to `now_ms` when the
  // first batch has no timestamp.
  int64_t waited_for_roll_ms(int64_t timestamp_ms, int64_t now_ms);
  // Scans [start, size) to advance next_offset_ and max_timestamp_; false at a malformed tail.
  bool scan_tail(uint64_t start, std::optional<int64_t> expected_first_last_offset);
  // Updates size, offsets, max timestamp and index entries for a batch written at `position`.
  void record_batch(const protocol::RecordBatchHeader& header, uint64_t position);
  // Makes sure the .log has blocks allocated up to `end`, reserving ahead as
  // much again as the segment holds (64 KiB to 16 MiB): writing into
  // allocated blocks skips ext4's per-page delayed allocation, about a third
  // of the cost of an append, while an idle partition reserves little.
  void reserve_ahead(uint64_t end);

  std::filesystem::path log_path_;
  int64_t base_offset_;
  uint32_t index_interval_bytes_;
  std::shared_ptr<FileHandle> log_;
  uint64_t size_bytes_ = 0;
  uint64_t reserved_end_ = 0;  // blocks are allocated up to here (0: unknown / none)
  bool can_reserve_ = true;    // false once the file system refused
  OffsetIndex offset_index_;
  TimeIndex time_index_;
  TransactionIndex txn_index_;
  bool loaded_ = false;

  int64_t next_offset_;
  TimeIndexEntry max_timestamp_;
  uint64_t bytes_since_last_index_entry_ = 0;
  // max_timestamp of the first batch, read lazily for segment.ms rolls.
  std::optional<int64_t> rolling_timestamp_;
  int64_t created_ms_;
};

}  // namespace freshet::storage
