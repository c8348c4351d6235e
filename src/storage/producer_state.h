// What one partition knows of its idempotent and transactional producers
// (Kafka's ProducerStateManager, ProducerAppendInfo and ProducerStateEntry):
// per producer id its epoch, its last 5 batches, the epoch of the last
// transaction coordinator that wrote a marker for it, its last timestamp and
// the first offset of its ongoing transaction.
//
// The log drives it in two steps per batch: check_*() (const) says whether a
// leader may append the batch, and with Kafka's rules and messages why not;
// after the batch is in the log, apply_*() records it. Replicated and replayed
// batches are applied without checks (the log is the truth). Batches without
// a producer id (-1) are not the table's business; callers skip them.
//
// Bounded: at most LogConfig::max_producer_ids entries. A new producer beyond that first
// expires the idle producers (no ongoing transaction) with the oldest last
// timestamps, an eighth of the bound at a time, as expiration would later.
// Checks and applies are O(1): a hash lookup and a ring of 5.
// Owner thread only.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "protocol/control_record.h"
#include "protocol/record_batch.h"
#include "storage/log_config.h"
#include "storage/producer_snapshot.h"
#include "storage/transaction_verification.h"

namespace freshet::storage {

// Why a leader append was or was not done; the server maps these to Kafka's
// error codes (storage never knows them).
enum class AppendStatus : uint8_t {
  kAppended,
  kDuplicate,            // a retry of one of the producer's last 5 batches: not written again
  kOutOfOrderSequence,   // OUT_OF_ORDER_SEQUENCE_NUMBER
  kInvalidProducerEpoch, // INVALID_PRODUCER_EPOCH (an older epoch than the partition has seen)
  kInvalidTxnState,      // INVALID_TXN_STATE (non-transactional write inside a transaction, failed verification)
  kCoordinatorFenced,    // TRANSACTION_COORDINATOR_FENCED (a marker from an older coordinator epoch)
};

// Who asks for a leader append: clients get every check, the broker's own
// coordinators (offset commits in a transaction, markers) no sequence checks
// and no duplicate detection, replicated batches none (warnings only).
enum class AppendOrigin : uint8_t { kClient, kCoordinator, kReplication };

// One remembered batch (Kafka's BatchMetadata).
struct BatchMetadata {
  int32_t first_sequence = protocol::kNoSequence;
  int32_t last_sequence = protocol::kNoSequence;
  int64_t first_offset = -1;
  int64_t last_offset = -1;
  int64_t max_timestamp = protocol::kNoTimestamp;
  friend bool operator==(const BatchMetadata&, const BatchMetadata&) = default;
};

// The producer's last batches, oldest first, at most kBatchesToRetain.
class RecentBatches {
 public:
  static constexpr size_t kBatchesToRetain = 5;
  void add(const BatchMetadata& batch);
  void clear() { count_ = 0; }
  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  // i = 0 is the oldest.
  const BatchMetadata& at(size_t i) const { return ring_[(next_ + kBatchesToRetain - count_ + i) % kBatchesToRetain]; }
  const BatchMetadata& last() const { return at(count_ - 1); }
  // The remembered batch with exactly this sequence range; null when none.
  const BatchMetadata* find(int32_t first_sequence, int32_t last_sequence) const;

 private:
  std::array<BatchMetadata, kBatchesToRetain> ring_{};
  uint8_t next_ = 0;   // where the next batch goes
  uint8_t count_ = 0;
};

struct ProducerStateEntry {
  int16_t producer_epoch = protocol::kNoProducerEpoch;
  int32_t coordinator_epoch = -1;
  int64_t last_timestamp = protocol::kNoTimestamp;
  int64_t current_txn_first_offset = -1;  // -1: no ongoing transaction
  RecentBatches batches;

  bool in_transaction() const { return current_txn_first_offset >= 0; }
  int32_t last_sequence() const { return batches.empty() ? protocol::kNoSequence : batches.last().last_sequence; }
};

// The result of a check: kAppended when the batch may be written.
struct ProducerCheck {
  AppendStatus status = AppendStatus::kAppended;
  std::string message;       // Kafka's text, for rejections
  BatchMetadata duplicate;   // kDuplicate: the batch as first written
};

// A transaction that a marker ended. last_stable_offset is the LSO right
// after it: the first offset of the earliest other ongoing transaction, or
// the marker's offset + 1 when there is none.
struct CompletedTxn {
  int64_t producer_id;
  int64_t first_offset;
  int64_t last_offset;  // the marker's offset
  int64_t last_stable_offset;
  bool aborted;
  friend bool operator==(const CompletedTxn&, const CompletedTxn&) = default;
};

// One row of DescribeProducers.
struct ActiveProducer {
  int64_t producer_id;
  int16_t producer_epoch;
  int32_t last_sequence;
  int64_t last_timestamp;
  int32_t coordinator_epoch;
  int64_t current_txn_start_offset;  // -1 when none
  friend bool operator==(const ActiveProducer&, const ActiveProducer&) = default;
};

// The end-transaction marker of a control batch (whole batch bytes); nullopt
// when the batch holds no record. Throws protocol::DecodeError when its
// record is not a commit or abort marker.
std::optional<protocol::EndTxnMarker> end_txn_marker_of(std::span<const uint8_t> batch);

class ProducerStateTable {
 public:
  // `partition` names the partition in messages ("topic-0").
  // Uses producer_id_expiration_ms, transaction_verification_enabled and
  // max_producer_ids of `config`.
  ProducerStateTable(std::string partition, const LogConfig& config);

  void set_config(const LogConfig& config);

  // May a leader append this data batch (producer_id >= 0) at `first_offset`?
  // `guard` is what begin_verification() returned for it, if it needed one.
  ProducerCheck check_data_batch(const protocol::RecordBatchHeader& batch, int64_t first_offset, AppendOrigin origin,
                                 VerificationGuard guard) const;
  // May a leader append an end-transaction marker at `offset`?
  ProducerCheck check_end_txn_marker(int64_t producer_id, int16_t producer_epoch, const protocol::EndTxnMarker& marker,
                                     int64_t offset, AppendOrigin origin) const;

  // Records a data batch now in the log (its header carries its offsets).
  void apply_data_batch(const protocol::RecordBatchHeader& batch);
  // Records a marker now in the log at `offset`; the transaction it ended, if
  // the producer had one ongoing.
  std::optional<CompletedTxn> apply_end_txn_marker(int64_t producer_id, int16_t producer_epoch,
                                                   const protocol::EndTxnMarker& marker, int64_t offset,
                                                   int64_t timestamp_ms);

  // Whether a transactional data batch would start a transaction here (none
  // ongoing for its producer at its epoch). KIP-890: such a batch needs the
  // coordinator's word first, when verification is enabled; a producer of
  // transaction version 2 has the partition added then, whether or not.
  bool starts_transaction(const protocol::RecordBatchHeader& batch) const;
  bool needs_verification(const protocol::RecordBatchHeader& batch) const;
  VerificationGuard begin_verification(int64_t producer_id, int16_t producer_epoch, int32_t base_sequence,
                                       int64_t now_ms);

  // The first offset of the earliest ongoing transaction; nullopt when none.
  std::optional<int64_t> first_unstable_offset() const;
  // Removes producers without an ongoing transaction whose last timestamp is
  // producer.id.expiration.ms or more before `now_ms`, and stale verifications.
  void remove_expired(int64_t now_ms);

  std::vector<ActiveProducer> active_producers() const;
  const ProducerStateEntry* find(int64_t producer_id) const;
  // (producer id, last offset of its last data batch) of every producer
  // with one: compaction keeps those batches' headers.
  std::vector<std::pair<int64_t, int64_t>> last_data_offsets() const;
  size_t size() const { return producers_.size(); }

  // Snapshot rows, ascending producer ids; load() replaces the state with
  // them, leaving out producers already expired at `now_ms`.
  std::vector<ProducerSnapshotEntry> snapshot() const;
  void load(const std::vector<ProducerSnapshotEntry>& entries, int64_t now_ms);
  void clear();

 private:
  bool expired(const ProducerStateEntry& entry, int64_t now_ms) const;
  ProducerStateEntry& entry_for(int64_t producer_id);
  void set_epoch(ProducerStateEntry& entry, int16_t producer_epoch);

  std::string partition_;
  LogConfig config_;
  std::unordered_map<int64_t, ProducerStateEntry> producers_;
  std::map<int64_t, int64_t> ongoing_txns_;  // first offset -> producer id
  TransactionVerifications verifications_;
};

}  // namespace freshet::storage
