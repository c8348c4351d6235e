// The coordinator's partitions, its writes to the store, producer ids and
// the clock.
#include "coordinator/txn_coordinator_state.h"

#include <algorithm>
#include <cassert>

#include "coordinator/owned_partitions.h"
#include "coordinator/txn_records.h"

namespace freshet::coordinator {

using protocol::ErrorCode;

ErrorCode txn_append_error(ErrorCode append_error) {
  switch (append_error) {
    case ErrorCode::UnknownTopicOrPartition:
    case ErrorCode::NotEnoughReplicas:
    case ErrorCode::NotEnoughReplicasAfterAppend:
    case ErrorCode::RequestTimedOut:
      return ErrorCode::CoordinatorNotAvailable;
    case ErrorCode::NotLeaderOrFollower:
    case ErrorCode::KafkaStorageError:
      return ErrorCode::NotCoordinator;
    case ErrorCode::MessageTooLarge:
    case ErrorCode::RecordListTooLarge:
      return ErrorCode::UnknownServerError;
    default:
      return append_error;
  }
}

TransactionCoordinator::State::State(TransactionConfig config_in, TxnLogStore& store_in,
                                     ProducerIdSource& producer_ids_in, TxnMarkerWriter& markers_in)
    : config(config_in),
      store(store_in),
      producer_ids(producer_ids_in),
      marker_writer(markers_in),
      self(std::make_shared<State*>(this)) {}

ErrorCode TransactionCoordinator::State::partition_error(int32_t partition) const {
  return owned_partition_error(partitions, partition);
}

TxnPartition* TransactionCoordinator::State::active(int32_t partition) { return active_partition(partitions, partition); }

const TxnPartition* TransactionCoordinator::State::active(int32_t partition) const {
  auto it = partitions.find(partition);
  return it == partitions.end() || it->second.loading ? nullptr : &it->second;
}

TxnPartition* TransactionCoordinator::State::owned(int32_t partition, uint64_t ownership) {
  auto it = partitions.find(partition);
  return it == partitions.end() || it->second.ownership != ownership ? nullptr : &it->second;
}

Transaction* TransactionCoordinator::State::find(int32_t partition, const std::string& transactional_id) {
  TxnPartition* owned = active(partition);
  if (owned == nullptr) return nullptr;
  auto it = owned->transactions.find(transactional_id);
  return it == owned->transactions.end() ? nullptr : &it->second;
}

const Transaction* TransactionCoordinator::State::find(int32_t partition, const std::string& transactional_id) const {
  const TxnPartition* owned = active(partition);
  if (owned == nullptr) return nullptr;
  auto it = owned->transactions.find(transactional_id);
  return it == owned->transactions.end() ? nullptr : &it->second;
}

void TransactionCoordinator::State::append(int32_t partition, std::vector<StoredRecord> records,
                                           std::function<void(ErrorCode, TxnPartition*)> settled) {
  const uint64_t ownership = partitions.at(partition).ownership;
  ++waiting_requests;
  std::weak_ptr<State*> weak_self = self;
  store.append(partition, std::move(records),
               [weak_self, partition, ownership, settled = std::move(settled)](ErrorCode append_error) {
                 auto alive = weak_self.lock();
                 if (!alive) return;
                 State& state = **alive;
                 --state.waiting_requests;
                 assert(state.waiting_requests >= 0);
                 settled(txn_append_error(append_error), state.owned(partition, ownership));
                 state.outbox.flush();
               });
}

void TransactionCoordinator::State::persist(int32_t partition, Transaction& txn,
                                            std::function<void(ErrorCode, Transaction*)> then) {
  assert(txn.pending());
  const std::string& id = txn.transactional_id();
  StoredRecord record = txn.pending()->state == TxnState::kDead ? txn_tombstone(id) : txn_record(id, *txn.pending());
  std::vector<StoredRecord> records;
  records.push_back(std::move(record));
  append(partition, std::move(records), [id, then = std::move(then)](ErrorCode error, TxnPartition* owned) {
    if (owned == nullptr) return then(ErrorCode::NotCoordinator, nullptr);
    // A busy transaction stays until its transition settles.
    Transaction& txn = owned->transactions.at(id);
    if (error == ErrorCode::None) {
      txn.complete_transition();
    } else {
      txn.abandon_transition();
    }
    then(error, &txn);
  });
}

void TransactionCoordinator::State::request_producer_id(int32_t partition,
                                                        std::function<void(NewProducerId, TxnPartition*)> use) {
  const uint64_t ownership = partitions.at(partition).ownership;
  ++waiting_requests;
  std::weak_ptr<State*> weak_self = self;
  producer_ids.next_producer_id([weak_self, partition, ownership, use = std::move(use)](NewProducerId id) {
    auto alive = weak_self.lock();
    if (!alive) return;
    State& state = **alive;
    --state.waiting_requests;
    assert(state.waiting_requests >= 0);
    assert(id.error != ErrorCode::None || id.producer_id >= 0);
    use(id, state.owned(partition, ownership));
    state.outbox.flush();
  });
}

std::optional<int64_t> TransactionCoordinator::State::next_deadline_ms() const {
  std::optional<int64_t> earliest;
  auto consider = [&](std::optional<int64_t> deadline_ms) {
    if (deadline_ms && (!earliest || *deadline_ms < *earliest)) earliest = deadline_ms;
  };
  consider(next_abort_check_ms);
  consider(next_expiration_check_ms);
  if (!marker_retries.empty()) consider(marker_retries.front().first);
  return earliest;
}

void TransactionCoordinator::State::advance(int64_t time_ms) {
  observe_time(time_ms);
  resume_due_markers();
  // At least 1 ms between checks, whatever the settings say.
  if (next_abort_check_ms && *next_abort_check_ms <= now_ms) {
    abort_timed_out_transactions();
    next_abort_check_ms = now_ms + std::max(config.abort_timed_out_transactions_interval_ms, 1);
  }
  if (next_expiration_check_ms && *next_expiration_check_ms <= now_ms) {
    expire_transactional_ids();
    next_expiration_check_ms = now_ms + std::max(config.remove_expired_transactional_ids_interval_ms, 1);
  }
}

}  // namespace freshet::coordinator
