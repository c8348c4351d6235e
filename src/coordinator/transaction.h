// One transactional id's state: Kafka's TransactionMetadata. A change is
// made in two steps, as in Kafka: a prepare_* call checks it is legal and
// records the next image as pending (the record to write), then, once that
// record is durable, complete_transition() makes it current, or
// abandon_transition() drops it when the write failed. While a transition is
// pending, or a producer id is being fetched for it, the transaction is busy
// and requests that would change it get CONCURRENT_TRANSACTIONS.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "coordinator/topic_partition.h"
#include "coordinator/txn_state.h"
#include "protocol/errors.h"

namespace freshet::coordinator {

inline constexpr int64_t kNoProducerId = -1;
inline constexpr int16_t kNoProducerEpoch = -1;

// Kafka's transaction.version feature levels: 2 (KIP-890 part 2) bumps the
// producer epoch with every EndTxn, so a request of an ended transaction can
// never be taken for one of the next.
inline constexpr int16_t kTransactionVersion0 = 0;
inline constexpr int16_t kTransactionVersion2 = 2;
inline bool supports_epoch_bump(int16_t transaction_version) { return transaction_version >= kTransactionVersion2; }

// What a __transaction_state record says of a transactional id (Kafka's
// TxnTransitMetadata). last_producer_epoch is kept in memory only, as in
// Kafka: a reloaded transaction has none. Unlike Kafka 4.0 (KAFKA-20310) the
// record keeps last_producer_id and next_producer_id, so an id rotation at
// the end of a transaction survives a restart between its two records.
struct TxnImage {
  int64_t producer_id = kNoProducerId;
  int64_t last_producer_id = kNoProducerId;  // the id before the last rotation
  // The id a transaction version 2 end at an exhausted epoch switches to
  // once complete; -1 otherwise.
  int64_t next_producer_id = kNoProducerId;
  int16_t producer_epoch = kNoProducerEpoch;
  int16_t last_producer_epoch = kNoProducerEpoch;  // what a retried InitProducerId or EndTxn may still hold
  int16_t client_transaction_version = kTransactionVersion0;  // that of the requests that made the transaction
  int32_t timeout_ms = 0;
  TxnState state = TxnState::kEmpty;
  TopicPartitionSet partitions;
  int64_t start_timestamp_ms = -1;  // when the first partition joined; -1 while Empty
  int64_t last_update_timestamp_ms = -1;
  friend bool operator==(const TxnImage&, const TxnImage&) = default;
};

// Kafka never hands out an epoch of Short.MaxValue, so that it can always
// fence: a producer at 32766 or above gets a new producer id instead.
bool is_epoch_exhausted(int16_t producer_epoch);

class Transaction {
 public:
  Transaction(std::string transactional_id, TxnImage current);

  const std::string& transactional_id() const { return transactional_id_; }
  const TxnImage& current() const { return current_; }
  TxnState state() const { return current_.state; }
  const std::optional<TxnImage>& pending() const { return pending_; }
  bool busy() const { return pending_.has_value() || awaiting_producer_id_; }
  // Marks the transaction busy while InitProducerId waits for a new
  // producer id for it (epoch exhaustion).
  void set_awaiting_producer_id(bool awaiting);

  // --- transitions; each requires !busy() and a legal target state ---------
  // InitProducerId: the next epoch, or PRODUCER_FENCED. With
  // `expected_epoch` (KIP-360: the producer's own id and epoch), a producer
  // whose epoch is current, or a new one, is bumped; one holding the
  // previous epoch is retrying a bump that succeeded and gets the current
  // epoch again; anyone else is fenced.
  protocol::ErrorCode prepare_epoch_increment(int32_t timeout_ms, std::optional<int16_t> expected_epoch,
                                              int64_t now_ms);
  // InitProducerId at an exhausted epoch: `producer_id` at epoch 0. With
  // `keep_last_epoch` the old epoch stays as the last one, so a retry of
  // this call by the same producer is recognised.
  void prepare_producer_id_rotation(int64_t producer_id, int32_t timeout_ms, int64_t now_ms, bool keep_last_epoch);
  // AddPartitionsToTxn/AddOffsetsToTxn (or a broker adding for a Produce
  // v12 / TxnOffsetCommit v5): Ongoing with `added` joined, made with
  // `client_transaction_version`; the transaction starts now unless it was
  // Ongoing already.
  void prepare_add_partitions(const TopicPartitionSet& added, int16_t client_transaction_version, int64_t now_ms);
  // EndTxn: Ongoing -> PrepareCommit or PrepareAbort. With transaction
  // version 2 the epoch goes up by one (and `next_producer_id`, given when
  // the epoch is exhausted, takes over once complete), and an abort may
  // also come from Empty, CompleteCommit or CompleteAbort (no partitions).
  void prepare_end(bool commit, int16_t client_transaction_version, int64_t next_producer_id, int64_t now_ms);
  // Fencing an Ongoing transaction (a new producer's InitProducerId, or a
  // timeout): the epoch goes up at once, in memory, so the old producer is
  // fenced even if the write fails (then a later fence does not bump again),
  // and the transaction is to be aborted under the new epoch.
  void prepare_fenced_abort(int64_t now_ms);
  // The markers are being written: PrepareCommit/PrepareAbort ->
  // CompleteCommit/CompleteAbort, once they are (under next_producer_id at
  // epoch 0 when one was chosen).
  void prepare_complete(int64_t now_ms);
  // Expiry: the tombstone to write. Completing it means removing the
  // transaction, so complete_transition() never takes a Dead image.
  void prepare_dead();

  void complete_transition();
  void abandon_transition();

  // A marker was written to `partition` (or it no longer exists): it leaves
  // a PrepareCommit/PrepareAbort transaction.
  void remove_partition(const TopicPartition& partition);

 private:
  void prepare(TxnImage next);
  TxnImage end_image(bool commit, int64_t now_ms) const;

  std::string transactional_id_;
  TxnImage current_;
  std::optional<TxnImage> pending_;
  bool pending_is_fence_ = false;
  bool awaiting_producer_id_ = false;
  // A fence's PrepareAbort failed to be written: its epoch bump stands in
  // memory and the next fence reuses it.
  bool has_failed_epoch_fence_ = false;
};

}  // namespace freshet::coordinator
