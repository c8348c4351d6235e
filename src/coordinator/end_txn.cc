// EndTxn and fencing: Kafka's endTransaction. An Ongoing transaction goes to
// PrepareCommit/PrepareAbort; once that is durable the producer is answered
// and the markers are written (txn_markers.cc).
//
// EndTxn v0-4 (transaction version 0): the epoch stays; a retry after the end
// is answered NONE once complete, CONCURRENT_TRANSACTIONS while the markers
// are written, INVALID_TXN_STATE for the other outcome.
//
// EndTxn v5 (transaction version 2, KIP-890 part 2): every end bumps the
// epoch (at an exhausted epoch the producer id rotates once the end is
// complete) and the answer carries the producer id and epoch the next
// transaction uses. A retry is recognised by the epoch before the bump (or
// the retired id at the last epoch) and gets the same answer.
#include <cassert>
#include <limits>

#include <spdlog/spdlog.h>

#include "coordinator/txn_coordinator_state.h"

namespace freshet::coordinator {

using protocol::ErrorCode;

namespace {

constexpr int16_t kFirstVersionWithProducerFenced = 2;
constexpr int16_t kFirstTransactionVersion2Version = 5;
constexpr int16_t kLastEpoch = std::numeric_limits<int16_t>::max() - 1;  // the highest a producer is given

// The producer id and epoch the transaction's next requests carry.
std::pair<int64_t, int16_t> next_producer(const TxnImage& image) {
  if (image.next_producer_id != kNoProducerId) return {image.next_producer_id, 0};
  return {image.producer_id, image.producer_epoch};
}

}  // namespace

void TransactionCoordinator::State::end_txn(const CallContext& ctx, int32_t partition,
                                            const protocol::EndTxnRequest& request,
                                            std::function<void(protocol::EndTxnResponse)> done) {
  const int16_t version = ctx.api_version;
  EndAnswer answer = [this, version, done = std::move(done)](ErrorCode error, int64_t producer_id,
                                                              int16_t producer_epoch) {
    if (version < kFirstVersionWithProducerFenced && error == ErrorCode::ProducerFenced) {
      error = ErrorCode::InvalidProducerEpoch;
    }
    protocol::EndTxnResponse response;
    response.error_code = protocol::code(error);
    response.producer_id = error == ErrorCode::None ? producer_id : kNoProducerId;
    response.producer_epoch = error == ErrorCode::None ? producer_epoch : kNoProducerEpoch;
    outbox.post([done, response] { done(response); });
  };
  if (request.transactional_id.empty()) return answer(ErrorCode::InvalidRequest, kNoProducerId, kNoProducerEpoch);
  if (const ErrorCode error = partition_error(partition); error != ErrorCode::None) {
    return answer(error, kNoProducerId, kNoProducerEpoch);
  }
  if (version >= kFirstTransactionVersion2Version) return end_txn_v2(partition, request, std::move(answer));
  end_txn_v0(partition, request, std::move(answer));
}

void TransactionCoordinator::State::end_txn_v0(int32_t partition, const protocol::EndTxnRequest& request,
                                               EndAnswer answer) {
  auto reply = [&answer](ErrorCode error) { answer(error, kNoProducerId, kNoProducerEpoch); };
  const bool commit = request.committed;
  Transaction* txn = find(partition, request.transactional_id);
  if (txn == nullptr || txn->current().producer_id != request.producer_id) {
    return reply(ErrorCode::InvalidProducerIdMapping);
  }
  if (request.producer_epoch != txn->current().producer_epoch) return reply(ErrorCode::ProducerFenced);
  if (txn->busy()) return reply(ErrorCode::ConcurrentTransactions);
  switch (txn->state()) {
    case TxnState::kOngoing:
      if (!may_wait()) return reply(ErrorCode::ConcurrentTransactions);
      txn->prepare_end(commit, kTransactionVersion0, kNoProducerId, now_ms);
      return persist_end(partition, *txn, std::move(answer));
    case TxnState::kCompleteCommit:
      return reply(commit ? ErrorCode::None : ErrorCode::InvalidTxnState);
    case TxnState::kCompleteAbort:
      return reply(commit ? ErrorCode::InvalidTxnState : ErrorCode::None);
    case TxnState::kPrepareCommit:
      return reply(commit ? ErrorCode::ConcurrentTransactions : ErrorCode::InvalidTxnState);
    case TxnState::kPrepareAbort:
      return reply(commit ? ErrorCode::InvalidTxnState : ErrorCode::ConcurrentTransactions);
    case TxnState::kEmpty:
      return reply(ErrorCode::InvalidTxnState);
    case TxnState::kDead:
    case TxnState::kPrepareEpochFence:
      assert(false && "never a current state");
      return reply(ErrorCode::UnknownServerError);
  }
}

void TransactionCoordinator::State::end_txn_v2(int32_t partition, const protocol::EndTxnRequest& request,
                                               EndAnswer answer) {
  auto reply = [&answer](ErrorCode error) { answer(error, kNoProducerId, kNoProducerEpoch); };
  const bool commit = request.committed;
  const int64_t producer_id = request.producer_id;
  const int16_t epoch = request.producer_epoch;
  Transaction* txn = find(partition, request.transactional_id);
  if (txn == nullptr) return reply(ErrorCode::InvalidProducerIdMapping);
  const TxnImage& current = txn->current();
  // The id retired by the rotation that ended the producer's last
  // transaction (at the last epoch, so it was answered the new id at 0).
  const bool retry_on_rotation = current.last_producer_id == producer_id && epoch == kLastEpoch &&
                                 current.producer_epoch == 0 && current.producer_id != producer_id;
  const bool retry_on_bump = current.producer_id == producer_id && current.producer_epoch == epoch + 1;
  if (current.producer_id != producer_id && !retry_on_rotation) return reply(ErrorCode::InvalidProducerIdMapping);
  if (txn->busy()) return reply(ErrorCode::ConcurrentTransactions);
  bool valid_epoch = false;
  switch (current.state) {
    case TxnState::kOngoing:
    case TxnState::kEmpty: valid_epoch = epoch == current.producer_epoch; break;
    case TxnState::kPrepareCommit:
    case TxnState::kPrepareAbort: valid_epoch = retry_on_bump; break;
    case TxnState::kCompleteCommit:
    case TxnState::kCompleteAbort:
      valid_epoch = retry_on_bump || retry_on_rotation || epoch == current.producer_epoch;
      break;
    case TxnState::kDead:
    case TxnState::kPrepareEpochFence: assert(false && "never a current state"); break;
  }
  if (!valid_epoch) return reply(ErrorCode::ProducerFenced);
  const bool retry = retry_on_bump || retry_on_rotation;
  auto answer_current = [&] {
    auto [next_id, next_epoch] = next_producer(current);
    answer(ErrorCode::None, next_id, next_epoch);
  };
  switch (current.state) {
    case TxnState::kOngoing:
      return prepare_end_v2(partition, *txn, commit, std::move(answer));
    case TxnState::kCompleteCommit:
      if (commit) return retry ? answer_current() : reply(ErrorCode::InvalidTxnState);
      return retry ? reply(ErrorCode::InvalidTxnState) : prepare_end_v2(partition, *txn, false, std::move(answer));
    case TxnState::kCompleteAbort:
      // A commit retried past an abort only the coordinator could have made
      // (a timeout): the producer was fenced (KAFKA-20785).
      if (commit) return reply(retry ? ErrorCode::ProducerFenced : ErrorCode::InvalidTxnState);
      return retry ? answer_current() : prepare_end_v2(partition, *txn, false, std::move(answer));
    case TxnState::kPrepareCommit:
      return reply(commit ? ErrorCode::ConcurrentTransactions : ErrorCode::InvalidTxnState);
    case TxnState::kPrepareAbort:
      return reply(commit ? ErrorCode::InvalidTxnState : ErrorCode::ConcurrentTransactions);
    case TxnState::kEmpty:
      if (commit) return reply(ErrorCode::InvalidTxnState);
      return prepare_end_v2(partition, *txn, false, std::move(answer));
    case TxnState::kDead:
    case TxnState::kPrepareEpochFence:
      return reply(ErrorCode::UnknownServerError);
  }
}

void TransactionCoordinator::State::prepare_end_v2(int32_t partition, Transaction& txn, bool commit,
                                                   EndAnswer answer) {
  if (!may_wait()) return answer(ErrorCode::ConcurrentTransactions, kNoProducerId, kNoProducerEpoch);
  if (!is_epoch_exhausted(txn.current().producer_epoch)) {
    txn.prepare_end(commit, kTransactionVersion2, kNoProducerId, now_ms);
    return persist_end(partition, txn, std::move(answer));
  }
  txn.set_awaiting_producer_id(true);
  const std::string id = txn.transactional_id();
  request_producer_id(partition, [this, partition, id, commit, answer](NewProducerId rotated, TxnPartition* owned) {
    if (owned == nullptr) return answer(ErrorCode::NotCoordinator, kNoProducerId, kNoProducerEpoch);
    Transaction& txn = owned->transactions.at(id);
    txn.set_awaiting_producer_id(false);
    if (rotated.error != ErrorCode::None) return answer(rotated.error, kNoProducerId, kNoProducerEpoch);
    spdlog::info("Transactional id {} exhausted the epochs of producer id {}: producer id {} once this transaction ends",
                 id, txn.current().producer_id, rotated.producer_id);
    txn.prepare_end(commit, kTransactionVersion2, rotated.producer_id, now_ms);
    persist_end(partition, txn, answer);
  });
}

void TransactionCoordinator::State::fence_and_abort(int32_t partition, Transaction& txn,
                                                    std::function<void(ErrorCode)> answer) {
  txn.prepare_fenced_abort(now_ms);
  persist_end(partition, txn, std::move(answer));
}

void TransactionCoordinator::State::persist_end(int32_t partition, Transaction& txn,
                                                std::function<void(ErrorCode)> answer) {
  persist_end(partition, txn, [answer = std::move(answer)](ErrorCode error, int64_t, int16_t) { answer(error); });
}

void TransactionCoordinator::State::persist_end(int32_t partition, Transaction& txn, EndAnswer answer) {
  assert(txn.pending() && is_preparing(txn.pending()->state));
  persist(partition, txn, [this, partition, answer = std::move(answer)](ErrorCode error, Transaction* txn) {
    if (error != ErrorCode::None) return answer(error, kNoProducerId, kNoProducerEpoch);
    auto [next_id, next_epoch] = next_producer(txn->current());
    answer(ErrorCode::None, next_id, next_epoch);
    start_markers(partition, *txn);
  });
}

}  // namespace freshet::coordinator
