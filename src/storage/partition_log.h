// The log of one partition: its segments, leader epoch cache and flush state,
// in `<log.dir>/<topic>-<partition>/` with Kafka's on-disk layout.
//
// Used from exactly one thread at a time (the partition's shard); no locks
// inside. The only thing handed to other threads is a FlushTarget, whose file
// handles stay open even if a segment is rolled or deleted meanwhile.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "protocol/wire.h"
#include "storage/file_handle.h"
#include "storage/leader_epoch_cache.h"
#include "storage/log_config.h"

namespace freshet::protocol {
struct RecordBatchHeader;
}

namespace freshet::storage {

class Segment;
struct BatchLocation;

// What the log dir knows about a partition when it opens it.
struct StartupState {
  bool clean_shutdown = false;
  int64_t recovery_point = 0;    // from recovery-point-offset-checkpoint
  int64_t log_start_offset = 0;  // from log-start-offset-checkpoint
};

struct AppendResult {
  int64_t base_offset;
  int64_t last_offset;
};

enum class ReadStatus { kOk, kOffsetOutOfRange };

struct ReadResult {
  ReadStatus status = ReadStatus::kOk;
  // Whole batches, the first one holding the requested offset; `records.owner`
  // owns the buffer. Empty at the log end or when the first batch is not allowed.
  protocol::Records records;
  // The offset after the last batch returned; the requested offset if none.
  int64_t next_offset = 0;
};

// A record located by timestamp (ListOffsets).
struct TimestampOffset {
  int64_t timestamp;
  int64_t offset;
  int32_t leader_epoch;  // of the batch holding it; -1 when unknown
  friend bool operator==(const TimestampOffset&, const TimestampOffset&) = default;
};

// What must be synced to make everything appended before flush_target() was
// called durable (group commit: one target covers all batches appended since
// the previous one).
struct FlushTarget {
  std::vector<std::shared_ptr<FileHandle>> files;
  int64_t offset = 0;       // every offset below it is covered
  uint64_t generation = 0;  // the log's truncation count when taken
  // fdatasync()s every file. Blocking: run it off the owner thread. Throws
  // StorageError; the log dir should then be taken offline.
  void sync() const;
};

class PartitionLog {
 public:
  // Opens the partition in `dir`, creating it (and partition.metadata) when
  // missing. A zero `topic_id` adopts the one on disk. After an unclean
  // shutdown every segment from the recovery point on is validated batch by
  // batch and cut at the first torn or corrupt batch; after a clean one only
  // the active segment's index tail is read. Throws StorageError, including
  // when partition.metadata names another topic id.
  static std::unique_ptr<PartitionLog> open(const std::filesystem::path& dir, const LogConfig& config,
                                            protocol::Uuid topic_id, const StartupState& state);
  ~PartitionLog();

  // Appends one batch the caller has validated (magic 2, CRC, size): assigns
  // its offsets by rewriting base_offset (to the log end offset) and
  // partition_leader_epoch in the header, rolling the segment first when
  // segment.bytes / segment.ms / a full index say so. O(1): one pwritev()
  // (plus, when the leader epoch changes, a rewrite of the epoch checkpoint).
  // `now_ms` is wall-clock time, for segment.ms of batches without timestamps.
  AppendResult append(std::span<uint8_t> batch, int32_t leader_epoch, int64_t now_ms);
  // Like append(), but never modifies `batch` (e.g. a view into a request
  // frame): the log writes its own copy of the header, carrying the assigned
  // base_offset and partition_leader_epoch, followed by the rest of the
  // caller's bytes, with one pwritev and no copy of the records.
  AppendResult append_borrowed(std::span<const uint8_t> batch, int32_t leader_epoch, int64_t now_ms);
  // Appends a batch replicated from a leader as is (offsets and epoch kept);
  // its base offset must be >= log_end_offset().
  AppendResult append_as_follower(std::span<const uint8_t> batch, int64_t now_ms);

  // Whole batches from the one holding `offset`, at most `max_bytes` of them
  // (but the first one even if larger when `min_one_batch`), none holding an
  // offset >= `max_offset` (e.g. the high watermark). kOffsetOutOfRange when
  // offset is below the log start or above the log end.
  ReadResult read(int64_t offset, int32_t max_bytes, bool min_one_batch, int64_t max_offset);
  // Like read(), but from one segment only, and without reading: the records
  // are a FileSlice of the segment's .log (its handle as owner), for a Fetch
  // response sent straight from the page cache.
  ReadResult read_file_slice(int64_t offset, int32_t max_bytes, bool min_one_batch, int64_t max_offset);

  int64_t log_start_offset() const { return log_start_offset_; }
  int64_t log_end_offset() const { return log_end_offset_; }

  // ListOffsets by timestamp: the first record (offset >= log start) whose
  // timestamp >= `timestamp_ms`, with that record's timestamp; nullopt when none.
  std::optional<TimestampOffset> offset_for_timestamp(int64_t timestamp_ms);
  // ListOffsets MAX_TIMESTAMP (KIP-734): the first record with the largest
  // timestamp in the log; nullopt when the log is empty.
  std::optional<TimestampOffset> max_timestamp_offset();

  // OffsetForLeaderEpoch: (largest epoch <= `epoch`, its end offset); see
  // LeaderEpochCache::end_offset_for.
  std::pair<int32_t, int64_t> end_offset_for_epoch(int32_t epoch) const;
  std::optional<int32_t> latest_epoch() const { return epochs_.latest_epoch(); }

  // Removes every batch from the one holding `offset` on (a follower diverging
  // from its leader). Below the first segment the log restarts empty at `offset`.
  // The recovery point drops with the log end: the caller should checkpoint it
  // (LogDirectory::write_checkpoints) before relying on the truncation.
  void truncate_to(int64_t offset);

  // Group commit: take a target on the owner thread, sync() it on another,
  // then report back with mark_flushed() on the owner thread.
  FlushTarget flush_target();
  void mark_flushed(const FlushTarget& done);
  // A sync of `failed` threw: its files (directory entries included) are
  // synced again with the next flush.
  void flush_failed(const FlushTarget& failed);
  // Every offset below it is durable.
  int64_t recovery_point() const { return recovery_point_; }

  // Clean shutdown: writes the indexes, syncs everything, closes the files.
  // Nothing but the accessors may be called afterwards.
  void close();
  // Topic deletion: closes the files, renames the directory to
  // "<name>.<uuid>-delete" and removes it.
  void delete_all();

  // New topic configs: segment.bytes and segment.ms apply from the next roll
  // decision on, the index settings to segments created from then on.
  void set_config(const LogConfig& config);
  // Bytes of every segment's .log (DescribeLogDirs).
  uint64_t size_bytes() const;

  const std::filesystem::path& dir() const { return dir_; }
  const protocol::Uuid& topic_id() const { return topic_id_; }
  size_t segment_count() const { return segments_.size(); }

 private:
  PartitionLog(std::filesystem::path dir, const LogConfig& config, protocol::Uuid topic_id);
  void load_segments(const StartupState& state, int64_t now_ms);
  void remove_stray_files();
  // Writes a batch given as consecutive pieces whose header is `header`.
  AppendResult append_batch(std::span<const std::span<const uint8_t>> pieces,
                            const protocol::RecordBatchHeader& header, int64_t now_ms);
  // The segment byte ranges a read covers (see read()), for at most
  // `max_segments` segments; batch headers are read, records are not.
  struct ReadPlan {
    struct Range {
      Segment* segment;
      uint64_t position;
      size_t size_bytes;
    };
    ReadStatus status = ReadStatus::kOk;
    std::vector<Range> ranges;
    int64_t next_offset = 0;
  };
  ReadPlan plan_read(int64_t offset, int32_t max_bytes, bool min_one_batch, int64_t max_offset, size_t max_segments);
  Segment& active();
  // Index of the segment whose range holds `offset` (the last with base <= offset; 0 if none).
  size_t segment_index_for(int64_t offset) const;
  // The first record of `batch` with timestamp >= timestamp_ms and offset >= the log start.
  TimestampOffset locate_record(Segment& segment, const BatchLocation& batch, int64_t timestamp_ms);
  // Deletes segments_[first..] and their files.
  void drop_segments_from(size_t first);
  // The files holding data past the recovery point (see flush_target()).
  void collect_unflushed_files(std::vector<std::shared_ptr<FileHandle>>& out, bool with_active_indexes) const;
  // Queues a directory to sync with the next flush (its new or renamed entries).
  void sync_dir_later(const std::shared_ptr<FileHandle>& dir);
  // Writes the leader-epoch-checkpoint after a change.
  void persist_epochs();
  static int64_t wall_clock_ms();

  std::filesystem::path dir_;
  LogConfig config_;
  protocol::Uuid topic_id_;
  std::shared_ptr<FileHandle> dir_handle_;
  std::vector<std::unique_ptr<Segment>> segments_;  // ascending base offsets; back() is active
  LeaderEpochCache epochs_;
  int64_t log_start_offset_ = 0;
  int64_t log_end_offset_ = 0;
  int64_t recovery_point_ = 0;
  uint64_t generation_ = 0;
  // Directory entries (new segments, checkpoints) to sync with the next flush.
  std::vector<std::shared_ptr<FileHandle>> pending_syncs_;
  bool closed_ = false;
};

}  // namespace freshet::storage
