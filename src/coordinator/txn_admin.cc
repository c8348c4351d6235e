// DescribeTransactions and ListTransactions.
#include <set>

#include "coordinator/java_compat.h"
#include "coordinator/txn_coordinator_state.h"

namespace freshet::coordinator {

using protocol::ErrorCode;

protocol::DescribeTransactionsResponse::TransactionState TransactionCoordinator::State::describe_transaction(
    int32_t partition, const std::string& transactional_id) const {
  protocol::DescribeTransactionsResponse::TransactionState described;
  described.transactional_id = transactional_id;
  auto fail = [&described](ErrorCode error) {
    described.error_code = protocol::code(error);
    return described;
  };
  if (transactional_id.empty()) return fail(ErrorCode::InvalidRequest);
  if (const ErrorCode error = partition_error(partition); error != ErrorCode::None) return fail(error);
  const Transaction* txn = find(partition, transactional_id);
  if (txn == nullptr) return fail(ErrorCode::TransactionalIdNotFound);
  const TxnImage& current = txn->current();
  described.transaction_state = std::string(txn_state_name(current.state));
  described.transaction_timeout_ms = current.timeout_ms;
  described.transaction_start_time_ms = current.start_timestamp_ms;
  described.producer_id = current.producer_id;
  described.producer_epoch = current.producer_epoch;
  for (const auto& [topic, index] : current.partitions) {
    if (described.topics.empty() || described.topics.back().topic != topic) described.topics.emplace_back().topic = topic;
    described.topics.back().partitions.push_back(index);
  }
  return described;
}

protocol::ListTransactionsResponse TransactionCoordinator::State::list_transactions(
    const protocol::ListTransactionsRequest& request, int64_t time_ms) const {
  protocol::ListTransactionsResponse response;
  for (const auto& [partition, owned] : partitions) {
    if (owned.loading) {
      response.error_code = protocol::code(ErrorCode::CoordinatorLoadInProgress);
      return response;
    }
  }
  std::set<TxnState> states;
  for (const auto& name : request.state_filters) {
    if (auto state = txn_state_from_name(name)) {
      states.insert(*state);
    } else {
      response.unknown_state_filters.push_back(name);
    }
  }
  const std::set<int64_t> producer_ids(request.producer_id_filters.begin(), request.producer_id_filters.end());
  auto included = [&](const TxnImage& txn) {
    if (!producer_ids.empty() && producer_ids.count(txn.producer_id) == 0) return false;
    if (!request.state_filters.empty() && states.count(txn.state) == 0) return false;
    // v1: only transactions open longer than the filter (Kafka measures
    // from the start time, -1 for an Empty transaction).
    if (request.duration_filter >= 0 && java_subtract(time_ms, txn.start_timestamp_ms) <= request.duration_filter) {
      return false;
    }
    return true;
  };
  for (const auto& [partition, owned] : partitions) {
    for (const auto& [id, txn] : owned.transactions) {
      if (!included(txn.current())) continue;
      auto& listed = response.transaction_states.emplace_back();
      listed.transactional_id = id;
      listed.producer_id = txn.current().producer_id;
      listed.transaction_state = std::string(txn_state_name(txn.state()));
    }
  }
  return response;
}

}  // namespace freshet::coordinator
