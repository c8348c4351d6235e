// EndTxn and fencing: Kafka's endTransaction. An Ongoing transaction goes to
// PrepareCommit/PrepareAbort; once that is durable the producer is answered
// and the markers are written (txn_markers.cc). A retry after the end is
// answered as Kafka does: NONE once complete, CONCURRENT_TRANSACTIONS while
// the markers are written, INVALID_TXN_STATE for the other outcome.
//
// Transaction version 2 (KIP-890 part 2) changes this file: prepare_end
// bumps the epoch (rotating the producer id when exhausted) and EndTxn v5
// answers with the new id and epoch; a retried EndTxn is then recognised by
// the previous epoch.
#include <cassert>

#include "coordinator/txn_coordinator_state.h"

namespace freshet::coordinator {

using protocol::ErrorCode;

void TransactionCoordinator::State::end_txn(const CallContext& ctx, int32_t partition,
                                            const protocol::EndTxnRequest& request,
                                            std::function<void(protocol::EndTxnResponse)> done) {
  const int16_t version = ctx.api_version;
  auto answer = [this, version, done = std::move(done)](ErrorCode error) {
    // EndTxn v0-1 clients do not know PRODUCER_FENCED.
    if (version < 2 && error == ErrorCode::ProducerFenced) error = ErrorCode::InvalidProducerEpoch;
    protocol::EndTxnResponse response;
    response.error_code = protocol::code(error);
    outbox.post([done, response] { done(response); });
  };
  const bool commit = request.committed;
  if (request.transactional_id.empty()) return answer(ErrorCode::InvalidRequest);
  if (const ErrorCode error = partition_error(partition); error != ErrorCode::None) return answer(error);
  Transaction* txn = find(partition, request.transactional_id);
  if (txn == nullptr || txn->current().producer_id != request.producer_id) {
    return answer(ErrorCode::InvalidProducerIdMapping);
  }
  if (request.producer_epoch != txn->current().producer_epoch) return answer(ErrorCode::ProducerFenced);
  if (txn->busy()) return answer(ErrorCode::ConcurrentTransactions);
  switch (txn->state()) {
    case TxnState::kOngoing:
      if (!may_wait()) return answer(ErrorCode::ConcurrentTransactions);
      txn->prepare_end(commit, now_ms);
      return persist_end(partition, *txn, std::move(answer));
    case TxnState::kCompleteCommit:
      return answer(commit ? ErrorCode::None : ErrorCode::InvalidTxnState);
    case TxnState::kCompleteAbort:
      return answer(commit ? ErrorCode::InvalidTxnState : ErrorCode::None);
    case TxnState::kPrepareCommit:
      return answer(commit ? ErrorCode::ConcurrentTransactions : ErrorCode::InvalidTxnState);
    case TxnState::kPrepareAbort:
      return answer(commit ? ErrorCode::InvalidTxnState : ErrorCode::ConcurrentTransactions);
    case TxnState::kEmpty:
      return answer(ErrorCode::InvalidTxnState);
    case TxnState::kDead:
    case TxnState::kPrepareEpochFence:
      assert(false && "never a current state");
      return answer(ErrorCode::UnknownServerError);
  }
}

void TransactionCoordinator::State::fence_and_abort(int32_t partition, Transaction& txn,
                                                    std::function<void(ErrorCode)> answer) {
  txn.prepare_fenced_abort(now_ms);
  persist_end(partition, txn, std::move(answer));
}

void TransactionCoordinator::State::persist_end(int32_t partition, Transaction& txn,
                                                std::function<void(ErrorCode)> answer) {
  assert(txn.pending() && is_preparing(txn.pending()->state));
  persist(partition, txn, [this, partition, answer = std::move(answer)](ErrorCode error, Transaction* txn) {
    answer(error);
    if (error == ErrorCode::None) start_markers(partition, *txn);
  });
}

}  // namespace freshet::coordinator
