// AddPartitionsToTxn, AddOffsetsToTxn and KIP-890 verification: Kafka's
// handleAddPartitionsToTransaction and handleVerifyPartitionsInTransaction,
// with the checks KafkaApis makes first (partitions that must exist, internal
// topics a client may not add).
#include <algorithm>
#include <cassert>

#include "coordinator/group_coordinator.h"
#include "coordinator/txn_coordinator_state.h"

namespace freshet::coordinator {

using protocol::ErrorCode;

namespace {

constexpr std::string_view kTransactionStateTopic = "__transaction_state";

// AddPartitionsToTxn and AddOffsetsToTxn v0-1 clients do not know PRODUCER_FENCED.
ErrorCode for_add_version(int16_t version, ErrorCode error) {
  return version < 2 && error == ErrorCode::ProducerFenced ? ErrorCode::InvalidProducerEpoch : error;
}

TopicPartitionSet requested_partitions(const AddPartitionsToTxnTransaction& request) {
  TopicPartitionSet partitions;
  for (const auto& topic : request.topics) {
    for (int32_t partition : topic.partitions) partitions.insert({topic.name, partition});
  }
  return partitions;
}

AddPartitionsToTxnResult result_for(const std::string& transactional_id,
                                    const std::map<TopicPartition, ErrorCode>& errors) {
  AddPartitionsToTxnResult result;
  result.transactional_id = transactional_id;
  for (const auto& [topic_partition, error] : errors) {
    if (result.topic_results.empty() || result.topic_results.back().name != topic_partition.topic) {
      result.topic_results.emplace_back().name = topic_partition.topic;
    }
    auto& out = result.topic_results.back().results_by_partition.emplace_back();
    out.partition_index = topic_partition.partition;
    out.partition_error_code = protocol::code(error);
  }
  return result;
}

std::map<TopicPartition, ErrorCode> same_error(const TopicPartitionSet& partitions, ErrorCode error) {
  std::map<TopicPartition, ErrorCode> errors;
  for (const auto& partition : partitions) errors.emplace(partition, error);
  return errors;
}

}  // namespace

AddPartitionsToTxnTransaction client_transaction(const protocol::AddPartitionsToTxnRequest& request) {
  AddPartitionsToTxnTransaction transaction;
  transaction.transactional_id = request.v3_and_below_transactional_id;
  transaction.producer_id = request.v3_and_below_producer_id;
  transaction.producer_epoch = request.v3_and_below_producer_epoch;
  transaction.topics = request.v3_and_below_topics;
  return transaction;
}

protocol::AddPartitionsToTxnResponse add_partitions_response(int16_t version,
                                                             std::vector<AddPartitionsToTxnResult> results) {
  protocol::AddPartitionsToTxnResponse response;
  if (version >= 4) {
    response.results_by_transaction = std::move(results);
  } else if (!results.empty()) {
    assert(results.size() == 1);
    response.results_by_topic_v3_and_below = std::move(results.front().topic_results);
  }
  return response;
}

void TransactionCoordinator::State::add_partitions_to_txn(const CallContext& ctx, int32_t partition,
                                                          const AddPartitionsToTxnTransaction& request,
                                                          std::function<void(AddPartitionsToTxnResult)> done) {
  const int16_t version = ctx.api_version;
  const std::string& id = request.transactional_id;
  auto answer = [this, done = std::move(done)](AddPartitionsToTxnResult result) {
    outbox.post([done, result = std::move(result)] { done(result); });
  };
  const TopicPartitionSet requested = requested_partitions(request);

  // Any partition refused fails the whole transaction: the others are not attempted.
  std::map<TopicPartition, ErrorCode> refused;
  for (const auto& topic_partition : requested) {
    const bool internal =
        topic_partition.topic == kConsumerOffsetsTopic || topic_partition.topic == kTransactionStateTopic;
    if (version < 4 && internal) {
      refused.emplace(topic_partition, ErrorCode::TopicAuthorizationFailed);
    } else if (!marker_writer.partition_exists(topic_partition)) {
      refused.emplace(topic_partition, ErrorCode::UnknownTopicOrPartition);
    }
  }
  if (!refused.empty()) {
    for (const auto& topic_partition : requested) refused.emplace(topic_partition, ErrorCode::OperationNotAttempted);
    return answer(result_for(id, refused));
  }

  if (version >= 4 && request.verify_only) {
    return answer(result_for(id, verify_partitions(partition, id, request.producer_id, request.producer_epoch, requested)));
  }
  // v5 comes from a broker adding for a Produce v12 / TxnOffsetCommit v5:
  // the producer speaks transaction version 2.
  const int16_t client_transaction_version = version > 4 ? kTransactionVersion2 : kTransactionVersion0;
  add_partitions(partition, id, request.producer_id, request.producer_epoch, requested, client_transaction_version,
                 [id, version, requested, answer](ErrorCode error) {
                   answer(result_for(id, same_error(requested, for_add_version(version, error))));
                 });
}

void TransactionCoordinator::State::add_offsets_to_txn(const CallContext& ctx, int32_t partition,
                                                       const protocol::AddOffsetsToTxnRequest& request,
                                                       int32_t offsets_partition_count,
                                                       std::function<void(protocol::AddOffsetsToTxnResponse)> done) {
  const int16_t version = ctx.api_version;
  const TopicPartition offsets_partition{std::string(kConsumerOffsetsTopic),
                                         group_partition(request.group_id, offsets_partition_count)};
  add_partitions(partition, request.transactional_id, request.producer_id, request.producer_epoch, {offsets_partition},
                 kTransactionVersion0, [this, version, done = std::move(done)](ErrorCode error) {
                   protocol::AddOffsetsToTxnResponse response;
                   response.error_code = protocol::code(for_add_version(version, error));
                   outbox.post([done, response] { done(response); });
                 });
}

void TransactionCoordinator::State::add_partitions(int32_t partition, const std::string& transactional_id,
                                                   int64_t producer_id, int16_t producer_epoch,
                                                   const TopicPartitionSet& added, int16_t client_transaction_version,
                                                   std::function<void(ErrorCode)> answer) {
  if (transactional_id.empty()) return answer(ErrorCode::InvalidRequest);
  if (const ErrorCode error = partition_error(partition); error != ErrorCode::None) return answer(error);
  Transaction* txn = find(partition, transactional_id);
  // The previous transaction's markers are being written: once it is
  // complete this call can be answered for real.
  TxnPartition& owned = partitions.at(partition);
  if (auto completing = owned.markers.find(transactional_id);
      completing != owned.markers.end() && completing->second != MarkerPhase::kBackingOff) {
    auto& held = owned.held_adds[transactional_id];
    if (held.size() < static_cast<size_t>(std::max(config.max_held_adds_per_transaction, 0))) {
      held.push_back([this, partition, transactional_id, producer_id, producer_epoch, added, client_transaction_version,
                      answer = std::move(answer)]() mutable {
        add_partitions(partition, transactional_id, producer_id, producer_epoch, added, client_transaction_version,
                       std::move(answer));
      });
      return;
    }
  }
  // Busy first (KAFKA-18660): after a version 2 end rotated the id, the
  // producer already uses the new id while the transaction completes.
  if (txn != nullptr && txn->busy()) return answer(ErrorCode::ConcurrentTransactions);
  if (txn == nullptr || txn->current().producer_id != producer_id) return answer(ErrorCode::InvalidProducerIdMapping);
  if (txn->current().producer_epoch != producer_epoch) return answer(ErrorCode::ProducerFenced);
  if (is_preparing(txn->state())) return answer(ErrorCode::ConcurrentTransactions);
  const TopicPartitionSet& current = txn->current().partitions;
  const bool already_added =
      txn->state() == TxnState::kOngoing && std::includes(current.begin(), current.end(), added.begin(), added.end());
  if (already_added) return answer(ErrorCode::None);
  if (!may_wait()) return answer(ErrorCode::ConcurrentTransactions);
  txn->prepare_add_partitions(added, client_transaction_version, now_ms);
  persist(partition, *txn, [answer = std::move(answer)](ErrorCode error, Transaction*) { answer(error); });
}

std::map<TopicPartition, ErrorCode> TransactionCoordinator::State::verify_partitions(
    int32_t partition, const std::string& transactional_id, int64_t producer_id, int16_t producer_epoch,
    const TopicPartitionSet& partitions) const {
  auto all = [&partitions](ErrorCode error) { return same_error(partitions, error); };
  if (transactional_id.empty()) return all(ErrorCode::InvalidRequest);
  if (const ErrorCode error = partition_error(partition); error != ErrorCode::None) return all(error);
  const Transaction* txn = find(partition, transactional_id);
  if (txn == nullptr || txn->current().producer_id != producer_id) return all(ErrorCode::InvalidProducerIdMapping);
  if (txn->current().producer_epoch != producer_epoch) return all(ErrorCode::ProducerFenced);
  // A pending AddPartitions is not counted: its partitions are in once durable.
  if (is_preparing(txn->state())) return all(ErrorCode::ConcurrentTransactions);
  std::map<TopicPartition, ErrorCode> errors;
  for (const auto& topic_partition : partitions) {
    const bool added = txn->current().partitions.count(topic_partition) != 0;
    errors.emplace(topic_partition, added ? ErrorCode::None : ErrorCode::TransactionAbortable);
  }
  return errors;
}

}  // namespace freshet::coordinator
