// InitProducerId for a transactional id: Kafka's handleInitProducerId. A new
// id gets a fresh producer id at epoch 0; a known one an epoch bump (a new
// producer id once the epoch is exhausted); an Ongoing transaction is first
// aborted under a bumped epoch, the caller answered CONCURRENT_TRANSACTIONS
// until that is done. KIP-360: a producer sending its own id and epoch (v3+)
// keeps its producer id, or is fenced if another producer took over.
#include <cassert>

#include <spdlog/spdlog.h>

#include "coordinator/txn_coordinator_state.h"

namespace freshet::coordinator {

using protocol::ErrorCode;

namespace {

// InitProducerId v0-3 clients do not know PRODUCER_FENCED.
ErrorCode for_init_version(int16_t version, ErrorCode error) {
  return version < 4 && error == ErrorCode::ProducerFenced ? ErrorCode::InvalidProducerEpoch : error;
}

}  // namespace

void TransactionCoordinator::State::init_producer_id(const CallContext& ctx, int32_t partition,
                                                     const protocol::InitProducerIdRequest& request,
                                                     std::function<void(protocol::InitProducerIdResponse)> done) {
  const int16_t version = ctx.api_version;
  InitAnswer answer = [this, version, done = std::move(done)](ErrorCode error, int64_t producer_id,
                                                                  int16_t producer_epoch) {
    protocol::InitProducerIdResponse response;
    response.error_code = protocol::code(for_init_version(version, error));
    response.producer_id = error == ErrorCode::None ? producer_id : kNoProducerId;
    response.producer_epoch = error == ErrorCode::None ? producer_epoch : kNoProducerEpoch;
    outbox.post([done, response = std::move(response)] { done(response); });
  };
  auto fail = [&answer](ErrorCode error) { answer(error, kNoProducerId, kNoProducerEpoch); };

  // KafkaApis: an id and an epoch come together or not at all.
  const bool has_id = request.producer_id != kNoProducerId;
  const bool has_epoch = request.producer_epoch != kNoProducerEpoch;
  if (has_id != has_epoch) return fail(ErrorCode::InvalidRequest);
  std::optional<ExpectedProducer> expected;
  if (has_id) expected = ExpectedProducer{request.producer_id, request.producer_epoch};

  if (!request.transactional_id || request.transactional_id->empty()) return fail(ErrorCode::InvalidRequest);
  const std::string& id = *request.transactional_id;
  const int32_t timeout_ms = request.transaction_timeout_ms;
  if (timeout_ms <= 0 || timeout_ms > config.max_timeout_ms) return fail(ErrorCode::InvalidTransactionTimeout);
  if (const ErrorCode error = partition_error(partition); error != ErrorCode::None) return fail(error);

  if (Transaction* txn = find(partition, id)) return init_transaction(partition, *txn, timeout_ms, expected, answer);

  // A new transactional id: its producer id comes first.
  TxnPartition& owned = partitions.at(partition);
  if (owned.creating.count(id) != 0 || !may_wait()) return fail(ErrorCode::ConcurrentTransactions);
  owned.creating.insert(id);
  request_producer_id(partition, [this, partition, id, timeout_ms, expected, answer](NewProducerId created,
                                                                                     TxnPartition* owned) {
    if (owned == nullptr) return answer(ErrorCode::NotCoordinator, kNoProducerId, kNoProducerEpoch);
    owned->creating.erase(id);
    if (created.error != ErrorCode::None) return answer(created.error, kNoProducerId, kNoProducerEpoch);
    TxnImage image;
    image.producer_id = created.producer_id;
    image.timeout_ms = timeout_ms;
    image.last_update_timestamp_ms = now_ms;
    auto [it, inserted] = owned->transactions.try_emplace(id, id, std::move(image));
    assert(inserted);
    init_transaction(partition, it->second, timeout_ms, expected, answer);
  });
}

void TransactionCoordinator::State::init_transaction(int32_t partition, Transaction& txn, int32_t timeout_ms,
                                                     std::optional<ExpectedProducer> expected, InitAnswer answer) {
  auto fail = [&answer](ErrorCode error) { answer(error, kNoProducerId, kNoProducerEpoch); };
  if (txn.busy()) return fail(ErrorCode::ConcurrentTransactions);
  const TxnImage& current = txn.current();
  if (expected) {
    // The producer may go on unless another producer took over: the
    // transaction was just created (it recovers from UNKNOWN_PRODUCER_ID),
    // it holds the current id, or it retries a rotation it never heard back from.
    const bool valid = current.producer_epoch == kNoProducerEpoch || expected->producer_id == current.producer_id ||
                       (expected->producer_id == current.last_producer_id &&
                        is_epoch_exhausted(expected->producer_epoch));
    if (!valid) return fail(ErrorCode::ProducerFenced);
  }
  switch (current.state) {
    case TxnState::kPrepareCommit:
    case TxnState::kPrepareAbort:
      return fail(ErrorCode::ConcurrentTransactions);
    case TxnState::kOngoing:
      // The epoch this bump makes is never returned: the producer retries
      // once the abort is done and gets the next one (a new producer id if
      // this bump exhausted the epochs).
      if (!may_wait()) return fail(ErrorCode::ConcurrentTransactions);
      spdlog::info("Fencing transactional id {} (producer id {}): aborting its ongoing transaction",
                   txn.transactional_id(), current.producer_id);
      return fence_and_abort(partition, txn, [answer](ErrorCode error) {
        answer(error == ErrorCode::None ? ErrorCode::ConcurrentTransactions : error, kNoProducerId, kNoProducerEpoch);
      });
    case TxnState::kEmpty:
    case TxnState::kCompleteCommit:
    case TxnState::kCompleteAbort:
      break;
    case TxnState::kDead:
    case TxnState::kPrepareEpochFence:
      assert(false && "never a current state");
      return fail(ErrorCode::UnknownServerError);
  }
  if (!may_wait()) return fail(ErrorCode::ConcurrentTransactions);
  if (is_epoch_exhausted(current.producer_epoch) &&
      (!expected || expected->producer_epoch == current.producer_epoch)) {
    txn.set_awaiting_producer_id(true);
    const std::string id = txn.transactional_id();
    return request_producer_id(partition, [this, partition, id, timeout_ms, expected, answer](NewProducerId rotated,
                                                                                               TxnPartition* owned) {
      if (owned == nullptr) return answer(ErrorCode::NotCoordinator, kNoProducerId, kNoProducerEpoch);
      Transaction& txn = owned->transactions.at(id);
      txn.set_awaiting_producer_id(false);
      if (rotated.error != ErrorCode::None) return answer(rotated.error, kNoProducerId, kNoProducerEpoch);
      spdlog::info("Transactional id {} exhausted the epochs of producer id {}: now producer id {}", id,
                   txn.current().producer_id, rotated.producer_id);
      txn.prepare_producer_id_rotation(rotated.producer_id, timeout_ms, now_ms, expected.has_value());
      persist_init(partition, txn, answer);
    });
  }
  const std::optional<int16_t> expected_epoch =
      expected ? std::optional<int16_t>(expected->producer_epoch) : std::nullopt;
  if (const ErrorCode error = txn.prepare_epoch_increment(timeout_ms, expected_epoch, now_ms); error != ErrorCode::None) {
    return fail(error);
  }
  persist_init(partition, txn, std::move(answer));
}

void TransactionCoordinator::State::persist_init(int32_t partition, Transaction& txn, InitAnswer answer) {
  persist(partition, txn, [answer = std::move(answer)](ErrorCode error, Transaction* txn) {
    if (error != ErrorCode::None) return answer(error, kNoProducerId, kNoProducerEpoch);
    answer(ErrorCode::None, txn->current().producer_id, txn->current().producer_epoch);
  });
}

}  // namespace freshet::coordinator
