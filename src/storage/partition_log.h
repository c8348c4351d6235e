// The log of one partition: its segments, leader epoch cache and flush state,
// in `<log.dir>/<topic>-<partition>/` with Kafka's on-disk layout.
//
// Used from exactly one thread at a time (the partition's shard); no locks
// inside. The only thing handed to other threads is a FlushTarget, whose file
// handles stay open even if a segment is rolled or deleted meanwhile.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "protocol/wire.h"
#include "storage/file_handle.h"
#include "storage/leader_epoch_cache.h"
#include "storage/log_cleaner.h"
#include "storage/log_config.h"
#include "storage/producer_state.h"
#include "storage/transaction_index.h"

namespace freshet::storage {

class Segment;
struct BatchLocation;

// What the log dir knows about a partition when it opens it.
struct StartupState {
  bool clean_shutdown = false;
  int64_t recovery_point = 0;    // from recovery-point-offset-checkpoint
  int64_t log_start_offset = 0;  // from log-start-offset-checkpoint
  int64_t cleaner_offset = -1;   // from cleaner-offset-checkpoint; -1: none
};

struct AppendResult {
  AppendStatus status = AppendStatus::kAppended;
  // kAppended: the batch's offsets; kDuplicate: those it got when first
  // written; -1 otherwise.
  int64_t base_offset = -1;
  int64_t last_offset = -1;
  // kDuplicate: the original batch's max timestamp (its LogAppendTime on
  // such topics); -1 otherwise.
  int64_t duplicate_timestamp_ms = -1;
  std::string message;  // why not appended, in Kafka's words
};

// How a leader append is checked against the producer state.
struct AppendChecks {
  AppendOrigin origin = AppendOrigin::kClient;
  // What begin_verification() gave for a batch that needs_verification().
  VerificationGuard verification_guard = kNoVerificationGuard;
};

// How the producer state was last rebuilt (at open, or after a truncation).
struct ProducerStateLoad {
  int64_t snapshot_offset = -1;   // the snapshot loaded; -1: none (rebuilt from the log start)
  uint64_t batches_replayed = 0;  // batches read from the log to bring it to the log end
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

// What one retention pass deleted.
struct RetentionOutcome {
  size_t segments = 0;
  uint64_t bytes = 0;
  // Files of segments deleted earlier whose file.delete.delay.ms has
  // passed: the caller removes them (remove_retired_files), off its
  // reactor, since unlinking a large file can take a while.
  std::vector<std::filesystem::path> files_due;
};

// Removes retired segment files (RetentionOutcome::files_due); a file that
// cannot be removed is logged and left for the next open. Blocking.
void remove_retired_files(std::span<const std::filesystem::path> paths);

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
  // batch and cut at the first torn or corrupt batch, and its transaction
  // index rebuilt; after a clean one only the active segment's index tail is
  // read. The producer state comes from the latest snapshot at or below the
  // log end (corrupt ones are deleted), brought up to the log end by reading
  // the headers of the batches after it: nothing after a clean shutdown.
  // Throws StorageError, including when partition.metadata names another
  // topic id.
  static std::unique_ptr<PartitionLog> open(const std::filesystem::path& dir, const LogConfig& config,
                                            protocol::Uuid topic_id, const StartupState& state);
  ~PartitionLog();

  // Appends one batch the caller has validated (magic 2, CRC, size): checks
  // a batch with a producer id against the producer state (a retry of one of
  // the producer's last 5 batches is kDuplicate and not written; a rejection
  // writes nothing either), assigns its offsets by rewriting base_offset (to
  // the log end offset) and partition_leader_epoch in the header, rolling the
  // segment first when segment.bytes / segment.ms / a full index say so.
  // O(1): a hash lookup and one pwritev() (plus, when the leader epoch
  // changes, a rewrite of the epoch checkpoint; at a roll, a snapshot).
  // `now_ms` is wall-clock time, for segment.ms of batches without timestamps.
  // A control batch with a producer id must hold an end-transaction marker
  // (else protocol::DecodeError).
  AppendResult append(std::span<uint8_t> batch, int32_t leader_epoch, int64_t now_ms, const AppendChecks& checks = {});
  // Like append(), but never modifies `batch` (e.g. a view into a request
  // frame): the log writes its own copy of the header, carrying the assigned
  // base_offset and partition_leader_epoch, followed by the rest of the
  // caller's bytes, with one pwritev and no copy of the records.
  AppendResult append_borrowed(std::span<const uint8_t> batch, int32_t leader_epoch, int64_t now_ms,
                               const AppendChecks& checks = {});
  // Appends a batch replicated from a leader as is (offsets and epoch kept);
  // its base offset must be >= log_end_offset(). Producer state follows it
  // unchecked (stale epochs are logged).
  AppendResult append_as_follower(std::span<const uint8_t> batch, int64_t now_ms);
  // Writes the end-transaction marker the transaction coordinator sent for
  // this partition (WriteTxnMarkers) at the log end: ends the producer's
  // ongoing transaction and, for an abort, records it in the active segment's
  // transaction index (synced with the next flush). kInvalidProducerEpoch for
  // an epoch older than the producer's, kCoordinatorFenced for a coordinator
  // epoch older than the last marker's; nothing is written then. `now_ms` is
  // the marker's timestamp.
  AppendResult append_end_txn_marker(int64_t producer_id, int16_t producer_epoch, int32_t coordinator_epoch,
                                     bool commit, int32_t leader_epoch, int64_t now_ms);

  // KIP-890 verification (see TransactionVerifications): whether a produced
  // batch must be verified with the transaction coordinator before append(),
  // and the guard to pass to append() once it was.
  bool needs_verification(const protocol::RecordBatchHeader& batch) const;
  // Whether the batch would start its producer's transaction here (a
  // transaction version 2 producer's partition to add).
  bool starts_transaction(const protocol::RecordBatchHeader& batch) const;
  VerificationGuard begin_verification(int64_t producer_id, int16_t producer_epoch, int32_t base_sequence,
                                       int64_t now_ms);

  // The first offset of the earliest ongoing transaction (not below the log
  // start); nullopt when none. LSO = min(this, high watermark).
  std::optional<int64_t> first_unstable_offset() const;
  // Fetch read_committed (Kafka's collectAbortedTransactions): the aborted
  // transactions overlapping [fetch_offset, upper_bound_offset), read from
  // the transaction indexes of the segment holding fetch_offset and the
  // following ones until an entry's last stable offset reaches the bound.
  std::vector<AbortedTxn> aborted_transactions(int64_t fetch_offset, int64_t upper_bound_offset);
  // DescribeProducers, ascending producer ids.
  std::vector<ActiveProducer> active_producers() const { return producers_.active_producers(); }
  // Forgets producers idle for producer.id.expiration.ms (none with an
  // ongoing transaction) and stale verifications; the server calls it
  // periodically (Kafka: producer.id.expiration.check.interval.ms).
  void remove_expired_producers(int64_t now_ms) { producers_.remove_expired(now_ms); }
  const ProducerStateLoad& producer_state_load() const { return producer_state_load_; }

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
  // This replica became the leader for `epoch`: it starts at the log end
  // (Kafka's makeLeader), so followers diverging from it learn where their
  // last epoch ended before the leader has written in its own. Ignored for
  // an epoch the cache already has, or an older one.
  void begin_leader_epoch(int32_t epoch);

  // Removes every batch from the one holding `offset` on (a follower diverging
  // from its leader), with the snapshots above the new log end, and reloads
  // the producer state for the new end. Below the first segment the log
  // restarts empty at `offset`, without producers.
  // The recovery point drops with the log end: the caller should checkpoint it
  // (LogDirectory::write_checkpoints) before relying on the truncation.
  void truncate_to(int64_t offset);
  // Removes every batch and restarts the log empty at `offset` (which may lie
  // past the log end: a replica that installs a snapshot from there), without
  // producers or leader epochs. The caller checkpoints as for truncate_to().
  void truncate_fully_and_start_at(int64_t offset);

  // Group commit: take a target on the owner thread, sync() it on another,
  // then report back with mark_flushed() on the owner thread.
  FlushTarget flush_target();
  void mark_flushed(const FlushTarget& done);
  // A sync of `failed` threw: its files (directory entries included) are
  // synced again with the next flush.
  void flush_failed(const FlushTarget& failed);
  // Every offset below it is durable.
  int64_t recovery_point() const { return recovery_point_; }

  // Clean shutdown: writes the indexes and a producer snapshot at the log
  // end, syncs everything, closes the files. Nothing but the accessors may be
  // called afterwards.
  void close();
  // Topic deletion: closes the files, renames the directory to
  // "<name>.<uuid>-delete" and removes it.
  void delete_all();

  // --- retention (partition_log_retention.cc)
  // Kafka's deleteOldSegments, run periodically by the owner
  // (log.retention.check.interval.ms): deletes the oldest whole segments, in
  // order, while each ends at or below `high_watermark` and either ends at or
  // below the log start offset or, with delete retention, holds no record
  // newer than retention.ms or can go with the log still holding at least
  // retention.bytes. Deleting every segment first rolls an empty one at the
  // log end. The log start moves to the first segment left. The files are
  // renamed at once; a later pass hands them back for removal once
  // file.delete.delay.ms has passed (files_due), the next open removes any left. First rolls a non-empty active segment older than
  // segment.ms, so that a quiet partition's records leave it too.
  RetentionOutcome enforce_retention(int64_t now_ms, int64_t high_watermark);
  // DeleteRecords: the log starts at `offset` (at most the high watermark;
  // nothing changes at or below the current start). Records below it are no
  // longer read; the segments wholly below it go with the next
  // enforce_retention(). The caller checkpoints the new start.
  void advance_log_start_offset(int64_t offset);

  // --- compaction (partition_log_cleaning.cc)
  // The cleaning due now, if any (cleanup.policy compact): the sealed
  // segments wholly below `uncleanable_offset` (the last stable offset and
  // high watermark) and older than min.compaction.lag.ms are cleanable, the
  // part of them from the cleaner offset on is dirty; a cleaning is due when
  // the dirty share of their bytes reaches min.cleanable.dirty.ratio, or the
  // first dirty segment's first batch is older than max.compaction.lag.ms.
  std::optional<CleaningJob> plan_cleaning(int64_t now_ms, int64_t uncleanable_offset);
  // Swaps a finished cleaning's segments in for those it read, in Kafka's
  // crash-safe order (cleaned -> swap, old -> deleted, swap -> final; an
  // interrupted swap is finished at the next open), and moves the cleaner
  // offset. When the log changed meanwhile so that the inputs are no longer
  // its segments (retention, truncation), removes the output instead and
  // returns false.
  bool install_cleaned(const CleaningJob& job, const CleaningResult& result, int64_t now_ms);
  // Removes a cleaning's output files (when it is not installed).
  void discard_cleaned(const CleaningResult& result);
  // The first offset the next cleaning maps (cleaner-offset-checkpoint); -1
  // while no cleaning has run.
  int64_t cleaner_offset() const { return cleaner_offset_; }

  // New topic configs: segment.bytes and segment.ms apply from the next roll
  // decision on, the index settings to segments created from then on.
  void set_config(const LogConfig& config);
  const LogConfig& config() const { return config_; }
  // Bytes of every segment's .log (DescribeLogDirs).
  uint64_t size_bytes() const;

  const std::filesystem::path& dir() const { return dir_; }
  const protocol::Uuid& topic_id() const { return topic_id_; }
  size_t segment_count() const { return segments_.size(); }

 private:
  PartitionLog(std::filesystem::path dir, const LogConfig& config, protocol::Uuid topic_id);
  void load_segments(const StartupState& state, int64_t now_ms);
  // At open: finishes the segment swaps a crash interrupted (a
  // "<base>.log.swap" is complete; the old segments it covers go).
  void complete_interrupted_swaps();
  void remove_stray_files();
  // Swaps cleaned segment `cleaned` in for segments_[at, at + cleaned.replaced).
  void swap_in(size_t at, const CleanedSegment& cleaned, int64_t now_ms);
  // Writes a batch given as consecutive pieces whose header is `header`,
  // after checking it against the producer state as `checks` says. `marker`
  // is the end-transaction marker of a control batch with a producer id.
  AppendResult append_batch(std::span<const std::span<const uint8_t>> pieces,
                            const protocol::RecordBatchHeader& header,
                            const std::optional<protocol::EndTxnMarker>& marker, const AppendChecks& checks,
                            int64_t now_ms);
  // The leader appends: `batch` is the caller's, `pieces` what is written.
  AppendResult append_as_leader(std::span<const uint8_t> batch, std::span<const std::span<const uint8_t>> pieces,
                                const protocol::RecordBatchHeader& header, const AppendChecks& checks, int64_t now_ms);

  // --- producer state (partition_log_producers.cc)
  // Brings the producer state to `end_offset` from the latest snapshot at or
  // below it (deleting corrupt ones), reading the batches in between.
  void load_producer_state(int64_t end_offset, int64_t now_ms);
  // Feeds batches [from_offset, end_offset) of the log to the producer state.
  void replay_batches(int64_t from_offset, int64_t end_offset);
  // Feeds a batch read back from the log to the producer state; `batch` holds
  // its bytes when it is a control batch (a marker that cannot be decoded is
  // logged and skipped). See record_producer_batch() for the segment.
  void replay_stored_batch(const protocol::RecordBatchHeader& header, std::span<const uint8_t> batch,
                           Segment* txn_index_segment);
  // Records a batch now in the log (with a producer id); an abort it ends goes
  // to the transaction index of `txn_index_segment` (the one holding the
  // marker) unless that is null (the index already has it).
  void record_producer_batch(const protocol::RecordBatchHeader& header,
                             const std::optional<protocol::EndTxnMarker>& marker, Segment* txn_index_segment);
  // A snapshot of the producer state at the log end, unless one is there.
  void take_snapshot();
  // Deletes the snapshot files whose offsets `doomed` selects.
  void delete_snapshots_if(const std::function<bool(int64_t)>& doomed);
  // At open: keeps the snapshots at segment bases and the latest other one,
  // none below the log start or above the log end (Kafka's removeStraySnapshots).
  void prune_snapshots();
  std::filesystem::path snapshot_path(int64_t offset) const;
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
  // Seals the active segment (with a producer snapshot) and starts an empty
  // one at the log end.
  void roll(int64_t now_ms);
  // The segments before `count` are gone: their files retired, the log start
  // raised to the first segment left, the snapshots below it deleted.
  void retire_segments(size_t count, int64_t now_ms);
  // Renames the files of segments_[first, first + count) to *.deleted and
  // schedules their removal file.delete.delay.ms from `now_ms`; the caller
  // takes the segments out of segments_.
  void retire_files_of(size_t first, size_t count, int64_t now_ms);
  // The log start moved up: the leader epoch cache follows it.
  void start_offset_raised();
  // Takes the retired files whose delay has passed out of retired_files_.
  std::vector<std::filesystem::path> take_due_retired_files(int64_t now_ms);
  // Index of the segment whose range holds `offset` (the last with base <= offset; 0 if none).
  size_t segment_index_for(int64_t offset) const;
  // The first record of `batch` with timestamp >= timestamp_ms and offset >= the log start.
  TimestampOffset locate_record(Segment& segment, const BatchLocation& batch, int64_t timestamp_ms);
  // Deletes segments_[first..] and their files.
  void drop_segments_from(size_t first);
  // The files holding data past the recovery point (see flush_target()).
  void collect_unflushed_files(std::vector<std::shared_ptr<FileHandle>>& out, bool with_active_indexes) const;
  // Queues a file or directory (its new, renamed or deleted entries) to sync
  // with the next flush.
  void sync_later(const std::shared_ptr<FileHandle>& file);
  // Writes the leader-epoch-checkpoint after a change.
  void persist_epochs();
  static int64_t wall_clock_ms();

  std::filesystem::path dir_;
  LogConfig config_;
  protocol::Uuid topic_id_;
  std::shared_ptr<FileHandle> dir_handle_;
  std::vector<std::unique_ptr<Segment>> segments_;  // ascending base offsets; back() is active
  LeaderEpochCache epochs_;
  ProducerStateTable producers_;
  std::vector<int64_t> snapshot_offsets_;  // ascending; the .snapshot files in dir_
  ProducerStateLoad producer_state_load_;
  int64_t log_start_offset_ = 0;
  int64_t log_end_offset_ = 0;
  int64_t recovery_point_ = 0;
  int64_t cleaner_offset_ = -1;
  uint64_t generation_ = 0;
  // Files of deleted segments awaiting removal, ascending due times; at most
  // one entry per segment ever deleted within file.delete.delay.ms.
  struct RetiredFiles {
    int64_t due_ms;
    std::vector<std::filesystem::path> paths;
  };
  std::vector<RetiredFiles> retired_files_;
  // Directory entries (new segments, checkpoints) to sync with the next flush.
  std::vector<std::shared_ptr<FileHandle>> pending_syncs_;
  bool closed_ = false;
};

}  // namespace freshet::storage
