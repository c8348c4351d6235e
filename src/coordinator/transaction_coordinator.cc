#include "coordinator/transaction_coordinator.h"

#include "coordinator/group_coordinator.h"
#include "coordinator/txn_coordinator_state.h"

namespace freshet::coordinator {

int32_t transaction_partition(const std::string& transactional_id, int32_t partition_count) {
  // Kafka's partitionFor hashes transactional ids as it hashes group ids.
  return group_partition(transactional_id, partition_count);
}

TransactionCoordinator::TransactionCoordinator(TransactionConfig config, TxnLogStore& store,
                                               ProducerIdSource& producer_ids, TxnMarkerWriter& markers)
    : state_(std::make_unique<State>(config, store, producer_ids, markers)) {}

TransactionCoordinator::~TransactionCoordinator() = default;

// Every mutating call hands out the answers it produced on its way out, once
// the state is consistent again.

void TransactionCoordinator::begin_loading(int32_t partition, int32_t coordinator_epoch) {
  state_->begin_loading(partition, coordinator_epoch);
  state_->outbox.flush();
}

void TransactionCoordinator::replay(int32_t partition, std::span<const uint8_t> key,
                                    std::optional<std::span<const uint8_t>> value) {
  state_->replay(partition, key, value);
}

void TransactionCoordinator::finish_loading(int32_t partition, int64_t now_ms) {
  state_->observe_time(now_ms);
  state_->finish_loading(partition);
  state_->outbox.flush();
}

void TransactionCoordinator::unload(int32_t partition) {
  state_->unload(partition);
  state_->outbox.flush();
}

bool TransactionCoordinator::any_partition_loading() const {
  for (const auto& [partition, owned] : state_->partitions) {
    if (owned.loading) return true;
  }
  return false;
}

int64_t TransactionCoordinator::skipped_records() const { return state_->skipped_records; }

void TransactionCoordinator::init_producer_id(const CallContext& ctx, int32_t partition,
                                              const protocol::InitProducerIdRequest& request,
                                              std::function<void(protocol::InitProducerIdResponse)> done) {
  state_->observe_time(ctx.now_ms);
  state_->init_producer_id(ctx, partition, request, std::move(done));
  state_->outbox.flush();
}

void TransactionCoordinator::add_partitions_to_txn(const CallContext& ctx, int32_t partition,
                                                   const AddPartitionsToTxnTransaction& transaction,
                                                   std::function<void(AddPartitionsToTxnResult)> done) {
  state_->observe_time(ctx.now_ms);
  state_->add_partitions_to_txn(ctx, partition, transaction, std::move(done));
  state_->outbox.flush();
}

void TransactionCoordinator::add_offsets_to_txn(const CallContext& ctx, int32_t partition,
                                                const protocol::AddOffsetsToTxnRequest& request,
                                                int32_t offsets_partition_count,
                                                std::function<void(protocol::AddOffsetsToTxnResponse)> done) {
  state_->observe_time(ctx.now_ms);
  state_->add_offsets_to_txn(ctx, partition, request, offsets_partition_count, std::move(done));
  state_->outbox.flush();
}

void TransactionCoordinator::end_txn(const CallContext& ctx, int32_t partition, const protocol::EndTxnRequest& request,
                                     std::function<void(protocol::EndTxnResponse)> done) {
  state_->observe_time(ctx.now_ms);
  state_->end_txn(ctx, partition, request, std::move(done));
  state_->outbox.flush();
}

std::map<TopicPartition, protocol::ErrorCode> TransactionCoordinator::verify_partitions(
    int32_t partition, const std::string& transactional_id, int64_t producer_id, int16_t producer_epoch,
    const TopicPartitionSet& partitions) const {
  return state_->verify_partitions(partition, transactional_id, producer_id, producer_epoch, partitions);
}

protocol::DescribeTransactionsResponse::TransactionState TransactionCoordinator::describe_transaction(
    int32_t partition, const std::string& transactional_id) const {
  return state_->describe_transaction(partition, transactional_id);
}

protocol::ListTransactionsResponse TransactionCoordinator::list_transactions(
    const protocol::ListTransactionsRequest& request, int64_t now_ms) const {
  return state_->list_transactions(request, now_ms);
}

std::optional<int64_t> TransactionCoordinator::next_deadline_ms() const { return state_->next_deadline_ms(); }

void TransactionCoordinator::advance(int64_t now_ms) {
  state_->advance(now_ms);
  state_->outbox.flush();
}

}  // namespace freshet::coordinator
