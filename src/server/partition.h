// A partition this node holds a replica of: its log, the produce policy of
// its topic, its role (leader or follower, from the metadata image), the
// high watermark, and the acks=all waiters. Lives on exactly one shard and
// is touched only there.
#pragma once

#include <algorithm>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cluster/metadata_image.h"
#include "protocol/errors.h"
#include "protocol/wire.h"
#include "server/data_notifier.h"
#include "server/flusher.h"
#include "server/produce_policy.h"
#include "server/record_validator.h"
#include "replication/partition_leader.h"
#include "storage/partition_log.h"

namespace freshet::server {

struct AppendOutcome {
  protocol::ErrorCode error = protocol::ErrorCode::None;
  std::string message;
  std::vector<RecordError> record_errors;  // KIP-467: the records that failed validation
  int64_t base_offset = -1;
  int64_t last_offset = -1;
  int64_t log_append_time_ms = -1;
  int64_t log_start_offset = -1;
  // flush.messages was reached: the caller answers once the log is durable
  // up to last_offset, whatever the acks.
  bool flush_due = false;
};

struct ReadOutcome {
  protocol::ErrorCode error = protocol::ErrorCode::None;
  int64_t high_watermark = -1;
  int64_t last_stable_offset = -1;
  int64_t log_start_offset = -1;
  std::optional<protocol::Records> records;
  // read_committed: the aborted transactions among the records.
  std::vector<storage::AbortedTxn> aborted_transactions;
};

struct DeleteRecordsOutcome {
  protocol::ErrorCode error = protocol::ErrorCode::None;
  int64_t low_watermark = -1;  // the log start offset after it
};

// A Fetch's / ListOffsets' isolation level (Kafka's IsolationLevel values).
enum class Isolation : int8_t { kReadUncommitted = 0, kReadCommitted = 1 };

class Partition : public std::enable_shared_from_this<Partition> {
 public:
  Partition(std::string topic, int32_t index, std::unique_ptr<storage::PartitionLog> log, ProducePolicy policy,
            DataNotifier& notifier, Flusher& flusher);

  const std::string& topic() const { return topic_; }
  int32_t index() const { return index_; }
  int32_t leader_epoch() const { return leader_epoch_; }

  // --- the replica's role (partition_replication.cc); times are monotonic ms.
  // The metadata image's state of this partition, for broker `self`: it
  // leads when the image says so (from a newer leader epoch on: a fresh
  // leader state, its epoch starting at the log end), else it follows
  // `info.leader` (-1: none). A same-epoch image passes its ISR on to the
  // leader. Losing the lead fails the acks=all waiters with
  // NOT_LEADER_OR_FOLLOWER. Leader epochs never move back.
  void assign(const cluster::PartitionInfo& info, int32_t self, int64_t now_ms);
  bool is_leader() const { return leader_state_.has_value(); }
  // The broker this replica follows, or itself when it leads (-1: none).
  int32_t leader_id() const { return leader_id_; }
  // The leader's committed ISR; only when is_leader().
  const std::vector<int32_t>& isr() const { return leader_state_->isr(); }
  // On the leader: `replica` fetched from `fetch_offset` (within the log).
  void follower_fetched(int32_t replica, int64_t fetch_offset, int64_t now_ms);
  // On a follower: appends one batch of the leader's as it is (offsets and
  // epoch kept; its CRC checked by the caller). Throws StorageError.
  void append_replicated(std::span<const uint8_t> batch, int64_t now_ms);
  // On a follower: the leader's answer ended with `leader_high_watermark`
  // (the follower's moves up to it, within its own log).
  void replicated(int64_t leader_high_watermark);
  // On a follower whose log diverged from the leader's: drops it from
  // `offset` on. Throws StorageError.
  void truncate_diverged(int64_t offset);
  // On a follower behind the leader's log start: drops its whole log and
  // starts again empty at `offset`. Throws StorageError.
  void restart_at(int64_t offset);
  // acks=all with followers in the ISR: done(None) once the high watermark
  // passes `offset` with at least min.insync.replicas in the ISR
  // (NOT_ENOUGH_REPLICAS_AFTER_APPEND with fewer), NOT_LEADER_OR_FOLLOWER
  // when the lead is lost first.
  void await_replicated(int64_t offset, std::function<void(protocol::ErrorCode)> done);
  // What acks=all waits for: await_replicated() with followers in the ISR,
  // else await_durable() (KAFKA_STORAGE_ERROR when the fsync failed).
  void await_committed(int64_t offset, std::function<void(protocol::ErrorCode)> done);
  // On the leader: the ISR to send the controller (AlterPartition) now, or
  // nullopt when none is due or one is out: the change wanted_isr() asks
  // for (see replication::PartitionLeader), or again the one whose answer
  // was lost. `may_join` says which brokers may join.
  template <typename MayJoin>
  std::optional<std::vector<int32_t>> isr_change_due(int64_t now_ms, int64_t lag_time_max_ms, MayJoin may_join) {
    if (!leader_state_ || isr_request_out_) return std::nullopt;
    std::optional<std::vector<int32_t>> due;
    if (leader_state_->isr_change_in_flight()) {
      if (resend_isr_change_) due = leader_state_->pending_isr();
    } else {
      due = leader_state_->wanted_isr(now_ms, lag_time_max_ms, epoch_start_offset_, may_join);
      if (due) leader_state_->isr_change_sent(*due);
    }
    isr_request_out_ = due.has_value();
    resend_isr_change_ = false;
    return due;
  }
  // How the controller answered the change isr_change_due() returned, asked
  // in `leader_epoch`: committed (`after` is the new state); refused for
  // good (the ISR stands); refused as stale (the change stays in flight
  // until a newer image settles it); or lost (it is sent again).
  enum class IsrAnswer { kCommitted, kRefused, kStale, kLost };
  void isr_change_answered(int32_t leader_epoch, IsrAnswer answer, const cluster::PartitionInfo* after);
  int32_t partition_epoch() const { return partition_epoch_; }
  // KIP-320: a client's current_leader_epoch (-1: unknown) against ours:
  // older -> FENCED_LEADER_EPOCH, newer -> UNKNOWN_LEADER_EPOCH.
  protocol::ErrorCode check_leader_epoch(int32_t current_leader_epoch) const;
  storage::PartitionLog& log() { return *log_; }
  // Hands the log over for deletion; the partition is unusable afterwards.
  std::unique_ptr<storage::PartitionLog> release_log() { return std::move(log_); }
  const ProducePolicy& policy() const { return policy_; }
  void update(ProducePolicy policy, const storage::LogConfig& log_config);

  // Validates and appends a Produce request's record set for this partition,
  // checked against the producer state as `checks` say: a retried batch of
  // an idempotent producer is answered with its original offsets and not
  // written again; sequence, epoch and transaction violations get Kafka's
  // errors (OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH, ...).
  AppendOutcome append(const std::optional<protocol::Records>& records, int16_t produce_version, int64_t now_ms,
                       const storage::AppendChecks& checks = {});
  // The end of producer_id's transaction on this partition (WriteTxnMarkers).
  AppendOutcome append_end_txn_marker(int64_t producer_id, int16_t producer_epoch, int32_t coordinator_epoch,
                                      bool commit, int64_t now_ms);
  // Calls done(true) once everything up to `offset` is on disk (fdatasync),
  // done(false) if syncing failed. Runs on this partition's shard.
  void await_durable(int64_t offset, std::function<void(bool)> done);

  // Reads whole batches from `offset`, at most max_bytes unless the first
  // batch alone is larger (then that batch), never past the high watermark.
  ReadOutcome read(int64_t offset, int32_t max_bytes);
  // The same range for a Fetch response: one segment's bytes as a FileSlice,
  // sent by the connection straight from the page cache. read_committed
  // stops at the last stable offset and lists the aborted transactions.
  ReadOutcome read_for_fetch(int64_t offset, int32_t max_bytes, Isolation isolation);
  // A follower's fetch from the leader: the same, up to the log end.
  ReadOutcome read_for_follower(int64_t offset, int32_t max_bytes);
  // Like read(), up to the log end: a coordinator taking over its partition
  // loads all of the log (the previous leader may have acknowledged
  // records this one's high watermark does not cover yet).
  ReadOutcome read_to_log_end(int64_t offset, int32_t max_bytes);

  // Retention (PartitionLog::enforce_retention) below the high watermark.
  // flush.ms: starts a flush when the log holds unflushed records and its
  // last flush started flush.ms or more ago.
  void flush_if_stale(int64_t now_ms);
  // A retention pass; the files it retired earlier and now may remove are
  // removed on the flusher's thread, off the reactor.
  void enforce_retention(int64_t now_ms);
  // The cleaning due now (compacted topics), never past the last stable
  // offset or the high watermark.
  std::optional<storage::CleaningJob> plan_cleaning(int64_t now_ms) {
    return log_->plan_cleaning(now_ms, std::min(high_watermark(), last_stable_offset()));
  }
  // DeleteRecords (Kafka's deleteRecordsOnLeader): the log starts at `offset`
  // (-1: the high watermark) and the segments wholly below it are deleted.
  // OFFSET_OUT_OF_RANGE past the high watermark, POLICY_VIOLATION unless
  // cleanup.policy has "delete", INVALID_TOPIC_EXCEPTION on internal topics.
  DeleteRecordsOutcome delete_records(int64_t offset, int64_t now_ms);

  // Bumped after every append; long-polling fetches wait on it.
  const std::shared_ptr<DataSignal>& data_signal() const { return data_signal_; }

  int64_t high_watermark() const {
    return leader_state_ ? leader_state_->high_watermark() : follower_high_watermark_;
  }
  // No transaction is open below it: what read_committed consumers may read.
  int64_t last_stable_offset() const;
  int64_t log_start_offset() const { return log_->log_start_offset(); }

 private:
  using LogRead = storage::ReadResult (storage::PartitionLog::*)(int64_t, int32_t, bool, int64_t);
  // Reads below `max_offset`; read_committed lists the aborted transactions.
  ReadOutcome read_with(int64_t offset, int32_t max_bytes, LogRead log_read, Isolation isolation, int64_t max_offset);
  // The outcome of a log append (or a refused one) as a Produce answers it.
  AppendOutcome appended(const storage::AppendResult& result, int64_t now_ms);
  struct DurabilityWaiter {
    int64_t offset;
    std::function<void(bool)> done;
  };
  void start_flush();
  void flushed(const storage::FlushTarget& target, bool ok);
  // The leader's log grew: the high watermark may move.
  void leader_log_grew();
  // The high watermark moved: acks=all waiters below it are answered,
  // long-polling fetches wake up.
  void high_watermark_moved();
  void fail_replicated_waiters(protocol::ErrorCode error);
  struct ReplicationWaiter {
    int64_t offset;
    std::function<void(protocol::ErrorCode)> done;
  };

  std::string topic_;
  int32_t index_;
  int32_t leader_epoch_ = 0;
  std::unique_ptr<storage::PartitionLog> log_;
  ProducePolicy policy_;
  DataNotifier& notifier_;
  std::shared_ptr<DataSignal> data_signal_;
  Flusher& flusher_;
  std::deque<DurabilityWaiter> durability_waiters_;  // ascending offsets
  bool flush_in_flight_ = false;
  int64_t records_since_flush_ = 0;  // appended since the last flush started
  int64_t last_flush_ms_;            // when the last flush started (or the partition opened)
  int32_t leader_id_ = -1;
  int32_t partition_epoch_ = -1;
  std::optional<replication::PartitionLeader> leader_state_;  // set while this replica leads
  int64_t epoch_start_offset_ = 0;       // the log end when this leadership began
  int64_t follower_high_watermark_ = 0;  // while following: min(the leader's, the log end)
  std::deque<ReplicationWaiter> replication_waiters_;  // ascending offsets; only while leading
  bool isr_request_out_ = false;    // an AlterPartition awaits its answer
  bool resend_isr_change_ = false;  // the last one's answer was lost
};

}  // namespace freshet::server
