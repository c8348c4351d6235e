#include "server/txn_partition_checks.h"

#include <asio/steady_timer.hpp>

#include <chrono>
#include <memory>

#include "server/broker.h"
#include "server/clock.h"
#include "server/transaction_topic.h"

namespace freshet::server {

namespace {
using protocol::ErrorCode;

// Kafka's add.partitions.to.txn.retry.backoff.ms and .backoff.max.ms defaults.
constexpr int64_t kAddRetryBackoffMs = 20;
constexpr int64_t kAddRetryMaxMs = 100;
// The AddPartitionsToTxn version a broker adds with (transaction version 2).
constexpr int16_t kBrokerAddVersion = 5;

ErrorCode client_error(ErrorCode error, TxnPartitionCheck check, ErrorCode unavailable) {
  switch (error) {
    case ErrorCode::ProducerFenced:
      return ErrorCode::InvalidProducerEpoch;
    case ErrorCode::TransactionAbortable:
      return check == TxnPartitionCheck::kVerifyWithOldErrors ? ErrorCode::InvalidTxnState : error;
    case ErrorCode::ConcurrentTransactions:
      return check == TxnPartitionCheck::kAdd ? error : unavailable;
    case ErrorCode::NetworkException:
    case ErrorCode::NotCoordinator:
    case ErrorCode::CoordinatorNotAvailable:
    case ErrorCode::CoordinatorLoadInProgress:
      return unavailable;
    default:
      return error;
  }
}

TxnPartitionErrors all(const coordinator::TopicPartitionSet& partitions, ErrorCode error) {
  TxnPartitionErrors errors;
  for (const auto& tp : partitions) errors.emplace(tp, error);
  return errors;
}

coordinator::AddPartitionsToTxnTransaction add_request(const std::string& transactional_id, int64_t producer_id,
                                                       int16_t producer_epoch,
                                                       const coordinator::TopicPartitionSet& partitions) {
  coordinator::AddPartitionsToTxnTransaction request;
  request.transactional_id = transactional_id;
  request.producer_id = producer_id;
  request.producer_epoch = producer_epoch;
  request.verify_only = false;
  for (const auto& [topic, partition] : partitions) {
    if (request.topics.empty() || request.topics.back().name != topic) request.topics.emplace_back().name = topic;
    request.topics.back().partitions.push_back(partition);
  }
  return request;
}

TxnPartitionErrors errors_of(const coordinator::AddPartitionsToTxnResult& result) {
  TxnPartitionErrors errors;
  for (const auto& topic : result.topic_results) {
    for (const auto& p : topic.results_by_partition) {
      errors.emplace(coordinator::TopicPartition{topic.name, p.partition_index}, static_cast<ErrorCode>(p.partition_error_code));
    }
  }
  return errors;
}

struct CheckCall {
  Broker& broker;
  TxnPartitionCheck check;
  std::string transactional_id;
  int64_t producer_id;
  int16_t producer_epoch;
  coordinator::TopicPartitionSet partitions;
  ErrorCode unavailable;
  std::function<void(TxnPartitionErrors)> done;
  int64_t started_ms;
  std::unique_ptr<asio::steady_timer> backoff;
};

void run(std::shared_ptr<CheckCall> call);

void finish(const std::shared_ptr<CheckCall>& call, TxnPartitionErrors errors) {
  bool concurrent = false;
  for (auto& [tp, error] : errors) concurrent |= error == ErrorCode::ConcurrentTransactions;
  if (concurrent && call->check == TxnPartitionCheck::kAdd && now_ms() - call->started_ms < kAddRetryMaxMs) {
    if (!call->backoff) call->backoff = std::make_unique<asio::steady_timer>(call->broker.shards().context(net::ShardSet::current()));
    call->backoff->expires_after(std::chrono::milliseconds(kAddRetryBackoffMs));
    call->backoff->async_wait([call](const std::error_code& ec) {
      if (!ec) run(call);
    });
    return;
  }
  // A partition the coordinator did not answer for was not checked.
  for (const auto& tp : call->partitions) errors.emplace(tp, ErrorCode::InvalidTxnState);
  for (auto& [tp, error] : errors) error = client_error(error, call->check, call->unavailable);
  call->done(std::move(errors));
}

void run(std::shared_ptr<CheckCall> call) {
  Broker& broker = call->broker;
  auto route = route_transaction(broker, *broker.image(), call->transactional_id);
  if (!route) return finish(call, all(call->partitions, ErrorCode::CoordinatorNotAvailable));
  broker.shards().submit_async<TxnPartitionErrors>(
      route->shard,
      [&broker, route = *route, call](std::function<void(TxnPartitionErrors)> answer) {
        TransactionShard& transactions = broker.transactions(route.shard);
        if (call->check != TxnPartitionCheck::kAdd) {
          return answer(transactions.coordinator().verify_partitions(route.partition, call->transactional_id,
                                                                     call->producer_id, call->producer_epoch,
                                                                     call->partitions));
        }
        coordinator::CallContext context;
        context.api_version = kBrokerAddVersion;
        context.now_ms = now_ms();
        transactions.coordinator().add_partitions_to_txn(
            context, route.partition,
            add_request(call->transactional_id, call->producer_id, call->producer_epoch, call->partitions),
            [answer](coordinator::AddPartitionsToTxnResult result) { answer(errors_of(result)); });
        transactions.rearm();
      },
      [call](TxnPartitionErrors errors) { finish(call, std::move(errors)); });
}
}  // namespace

TxnPartitionCheck produce_partition_check(int16_t produce_version) {
  if (produce_version > 11) return TxnPartitionCheck::kAdd;
  if (produce_version > 10) return TxnPartitionCheck::kVerify;
  return TxnPartitionCheck::kVerifyWithOldErrors;
}

TxnPartitionCheck txn_offset_commit_partition_check(int16_t txn_offset_commit_version) {
  if (txn_offset_commit_version > 4) return TxnPartitionCheck::kAdd;
  if (txn_offset_commit_version > 3) return TxnPartitionCheck::kVerify;
  return TxnPartitionCheck::kVerifyWithOldErrors;
}

void check_txn_partitions(Broker& broker, TxnPartitionCheck check, const std::string& transactional_id,
                          int64_t producer_id, int16_t producer_epoch, const coordinator::TopicPartitionSet& partitions,
                          ErrorCode unavailable, std::function<void(TxnPartitionErrors)> done) {
  run(std::make_shared<CheckCall>(CheckCall{broker, check, transactional_id, producer_id, producer_epoch, partitions,
                                            unavailable, std::move(done), now_ms(), nullptr}));
}

}  // namespace freshet::server
