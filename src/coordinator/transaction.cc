#include "coordinator/transaction.h"

#include <algorithm>
#include <cassert>
#include <limits>
#include <utility>

namespace freshet::coordinator {

using protocol::ErrorCode;

bool is_epoch_exhausted(int16_t producer_epoch) {
  return producer_epoch >= std::numeric_limits<int16_t>::max() - 1;
}

Transaction::Transaction(std::string transactional_id, TxnImage current)
    : transactional_id_(std::move(transactional_id)), current_(std::move(current)) {
  assert(current_.producer_id >= 0);
}

void Transaction::set_awaiting_producer_id(bool awaiting) {
  assert(awaiting != awaiting_producer_id_);
  assert(!pending_);
  awaiting_producer_id_ = awaiting;
}

ErrorCode Transaction::prepare_epoch_increment(int32_t timeout_ms, std::optional<int16_t> expected_epoch,
                                               int64_t now_ms) {
  int16_t epoch = current_.producer_epoch;
  int16_t last_epoch = current_.last_producer_epoch;
  const bool bump = !expected_epoch || current_.producer_epoch == kNoProducerEpoch ||
                    *expected_epoch == current_.producer_epoch;
  if (bump) {
    // A bump from an exhausted epoch is a rotation (the caller's job).
    assert(!is_epoch_exhausted(current_.producer_epoch));
    last_epoch = expected_epoch ? current_.producer_epoch : kNoProducerEpoch;
    epoch = static_cast<int16_t>(current_.producer_epoch + 1);
  } else if (*expected_epoch != current_.last_producer_epoch) {
    return ErrorCode::ProducerFenced;
  }
  TxnImage next = current_;
  next.producer_epoch = epoch;
  next.last_producer_epoch = last_epoch;
  next.timeout_ms = timeout_ms;
  next.state = TxnState::kEmpty;
  next.partitions.clear();
  next.start_timestamp_ms = -1;
  next.last_update_timestamp_ms = now_ms;
  prepare(std::move(next));
  return ErrorCode::None;
}

void Transaction::prepare_producer_id_rotation(int64_t producer_id, int32_t timeout_ms, int64_t now_ms,
                                               bool keep_last_epoch) {
  assert(!is_preparing(current_.state) && current_.state != TxnState::kOngoing);
  TxnImage next = current_;
  next.producer_id = producer_id;
  next.producer_epoch = 0;
  next.last_producer_epoch = keep_last_epoch ? current_.producer_epoch : kNoProducerEpoch;
  next.timeout_ms = timeout_ms;
  next.state = TxnState::kEmpty;
  next.partitions.clear();
  next.start_timestamp_ms = -1;
  next.last_update_timestamp_ms = now_ms;
  prepare(std::move(next));
}

void Transaction::prepare_add_partitions(const TopicPartitionSet& added, int16_t client_transaction_version,
                                         int64_t now_ms) {
  TxnImage next = current_;
  if (current_.state != TxnState::kOngoing) next.start_timestamp_ms = now_ms;
  next.client_transaction_version = client_transaction_version;
  next.state = TxnState::kOngoing;
  next.partitions.insert(added.begin(), added.end());
  next.last_update_timestamp_ms = now_ms;
  prepare(std::move(next));
}

TxnImage Transaction::end_image(bool commit, int64_t now_ms) const {
  TxnImage next = current_;
  next.state = commit ? TxnState::kPrepareCommit : TxnState::kPrepareAbort;
  next.last_update_timestamp_ms = now_ms;
  return next;
}

void Transaction::prepare_end(bool commit, int16_t client_transaction_version, int64_t next_producer_id,
                              int64_t now_ms) {
  TxnImage next = end_image(commit, now_ms);
  if (supports_epoch_bump(client_transaction_version)) {
    assert(current_.producer_epoch < std::numeric_limits<int16_t>::max());
    assert((next_producer_id != kNoProducerId) == is_epoch_exhausted(current_.producer_epoch));
    next.last_producer_epoch = current_.producer_epoch;
    ++next.producer_epoch;
    next.next_producer_id = next_producer_id;
    // An abort with nothing to end starts (and ends) now.
    if (current_.state != TxnState::kOngoing) next.start_timestamp_ms = now_ms;
  } else {
    assert(current_.state == TxnState::kOngoing && next_producer_id == kNoProducerId);
  }
  next.client_transaction_version = client_transaction_version;
  prepare(std::move(next));
}

void Transaction::prepare_fenced_abort(int64_t now_ms) {
  assert(!busy() && current_.state == TxnState::kOngoing);
  assert(current_.producer_epoch < std::numeric_limits<int16_t>::max());
  if (!has_failed_epoch_fence_) ++current_.producer_epoch;
  current_.last_producer_epoch = kNoProducerEpoch;
  // The fence's bump is the abort's only one, whatever the transaction's
  // version (Kafka 4.0.0 bumped twice; KAFKA-19367).
  prepare(end_image(false, now_ms));
  pending_is_fence_ = true;
}

void Transaction::prepare_complete(int64_t now_ms) {
  assert(is_preparing(current_.state));
  // The Prepare record is durable, so the fence it carried holds.
  has_failed_epoch_fence_ = false;
  TxnImage next = current_;
  next.state = current_.state == TxnState::kPrepareCommit ? TxnState::kCompleteCommit : TxnState::kCompleteAbort;
  next.partitions.clear();
  if (current_.next_producer_id != kNoProducerId) {
    next.producer_id = current_.next_producer_id;
    next.producer_epoch = 0;
    next.next_producer_id = kNoProducerId;
  }
  next.last_update_timestamp_ms = now_ms;
  prepare(std::move(next));
}

void Transaction::prepare_dead() {
  TxnImage next = current_;
  next.state = TxnState::kDead;
  next.partitions.clear();
  prepare(std::move(next));
}

void Transaction::prepare(TxnImage next) {
  assert(!busy());
  assert(is_valid_transition(current_.state, next.state));
  assert(next.producer_id >= 0);
  assert(next.state == TxnState::kDead || next.producer_epoch >= 0);
  // Kafka's rule: a move to Empty (InitProducerId) records the id it
  // replaces (the same id unless the id rotated), and so does the end of a
  // transaction version 2 that rotates it.
  if (next.state == TxnState::kEmpty || next.producer_id != current_.producer_id) {
    next.last_producer_id = current_.producer_id;
  }
  pending_ = std::move(next);
  pending_is_fence_ = false;
}

void Transaction::complete_transition() {
  assert(pending_);
  const TxnImage& next = *pending_;
  // Kafka's checks on a completed transition (TransactionMetadata.completeTransitionTo).
  [[maybe_unused]] const bool same_producer =
      next.producer_id == current_.producer_id && next.producer_epoch == current_.producer_epoch;
  switch (next.state) {
    case TxnState::kEmpty:
      assert(same_producer || next.producer_epoch == current_.producer_epoch + 1 ||
             (next.producer_epoch == 0 && next.producer_id != current_.producer_id));
      assert(next.partitions.empty() && next.start_timestamp_ms == -1);
      break;
    case TxnState::kOngoing:
      assert(same_producer && next.timeout_ms == current_.timeout_ms);
      assert(std::includes(next.partitions.begin(), next.partitions.end(), current_.partitions.begin(),
                           current_.partitions.end()));
      break;
    case TxnState::kPrepareCommit:
    case TxnState::kPrepareAbort:
      if (supports_epoch_bump(next.client_transaction_version) && !pending_is_fence_) {
        assert(next.producer_id == current_.producer_id && next.producer_epoch == current_.producer_epoch + 1);
        assert(current_.state != TxnState::kOngoing || next.start_timestamp_ms == current_.start_timestamp_ms);
      } else {
        assert(same_producer && next.start_timestamp_ms == current_.start_timestamp_ms);
      }
      assert(next.partitions == current_.partitions || current_.state != TxnState::kOngoing);
      break;
    case TxnState::kCompleteCommit:
    case TxnState::kCompleteAbort:
      // Same producer, or the id rotation a version 2 end prepared.
      assert((same_producer || (next.producer_id == current_.next_producer_id && next.producer_epoch == 0 &&
                                next.last_producer_id == current_.producer_id)) &&
             next.start_timestamp_ms != -1);
      break;
    case TxnState::kDead:
    case TxnState::kPrepareEpochFence:
      assert(false && "Dead and PrepareEpochFence are never completed");
      break;
  }
  current_ = std::move(*pending_);
  pending_.reset();
  pending_is_fence_ = false;
}

void Transaction::abandon_transition() {
  assert(pending_);
  if (pending_is_fence_) has_failed_epoch_fence_ = true;
  pending_.reset();
  pending_is_fence_ = false;
}

void Transaction::remove_partition(const TopicPartition& partition) {
  assert(is_preparing(current_.state));
  current_.partitions.erase(partition);
}

}  // namespace freshet::coordinator
