// The transaction coordinator of one shard: Kafka's TransactionCoordinator
// for every transactional id whose __transaction_state partition this shard
// owns. A state machine with no threads and no clock of its own: every call
// passes the time and runs on the owning shard; answers that must wait (for
// the store, a producer id) arrive later through `done`, on the same shard;
// answers that need not wait are handed out as the call returns. Durable
// state goes through TxnLogStore as records in Kafka's __transaction_state
// formats and is rebuilt with replay(); end markers go through
// TxnMarkerWriter, stamped with the partition's coordinator epoch.
//
// Errors are Kafka 3.9's, per request version: a client older than
// PRODUCER_FENCED (InitProducerId v0-3; AddPartitionsToTxn, AddOffsetsToTxn
// and EndTxn v0-1) gets INVALID_PRODUCER_EPOCH instead.
//
// Transaction version 2 (KIP-890 part 2, Kafka 4.0) is chosen per request:
// AddPartitionsToTxn v5 (a broker adding for a Produce v12 or TxnOffsetCommit
// v5) marks the transaction version 2, and EndTxn v5 bumps the epoch with
// every end (rotating the producer id at an exhausted epoch) and answers the
// producer id and epoch the next transaction uses. Older requests keep
// version 0; fences and timeouts bump once, whatever the version.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "coordinator/call_context.h"
#include "coordinator/topic_partition.h"
#include "coordinator/txn_config.h"
#include "coordinator/txn_ports.h"
#include "protocol/messages.h"

namespace freshet::coordinator {

// The topic whose partition AddOffsetsToTxn adds (cluster::kOffsetsTopicName;
// this layer cannot include cluster/).
inline constexpr std::string_view kConsumerOffsetsTopic = "__consumer_offsets";

// The __transaction_state partition holding `transactional_id`:
// abs(java String.hashCode) % partition_count, as Kafka computes it.
int32_t transaction_partition(const std::string& transactional_id, int32_t partition_count);

using AddPartitionsToTxnTransaction = protocol::AddPartitionsToTxnRequest::AddPartitionsToTxnTransaction;
using AddPartitionsToTxnResult = protocol::AddPartitionsToTxnResponse::AddPartitionsToTxnResult;

// The single transaction of a v0-3 AddPartitionsToTxn request (Kafka's
// normalizeRequest); v4+ requests carry a batch in `transactions`.
AddPartitionsToTxnTransaction client_transaction(const protocol::AddPartitionsToTxnRequest& request);
// The response of `version` for one result per transaction of the request
// (v0-3: the single transaction's topics).
protocol::AddPartitionsToTxnResponse add_partitions_response(int16_t version,
                                                             std::vector<AddPartitionsToTxnResult> results);

class TransactionCoordinator {
 public:
  TransactionCoordinator(TransactionConfig config, TxnLogStore& store, ProducerIdSource& producer_ids,
                         TxnMarkerWriter& markers);
  ~TransactionCoordinator();
  TransactionCoordinator(const TransactionCoordinator&) = delete;
  TransactionCoordinator& operator=(const TransactionCoordinator&) = delete;

  // --- ownership of __transaction_state partitions ------------------------
  // Transactional ids of a partition this shard does not own get
  // NOT_COORDINATOR; of a partition between begin_loading and
  // finish_loading, COORDINATOR_LOAD_IN_PROGRESS. `coordinator_epoch` is the
  // partition's leader epoch; markers carry it.
  void begin_loading(int32_t partition, int32_t coordinator_epoch);
  // Feeds one record of the partition, in log order (a null value is a
  // tombstone). Records that cannot be decoded are skipped and counted.
  void replay(int32_t partition, std::span<const uint8_t> key, std::optional<std::span<const uint8_t>> value);
  // Serves the partition; transactions found in PrepareCommit/PrepareAbort
  // (the broker stopped while ending them) get their markers written and are
  // completed.
  void finish_loading(int32_t partition, int64_t now_ms);
  // Drops the partition's transactions (it moved away or was deleted);
  // requests still waiting are answered NOT_COORDINATOR when their store or
  // producer-id answer comes back, and markers being written are dropped:
  // whoever loads the partition next writes them.
  void unload(int32_t partition);
  bool any_partition_loading() const;
  // Records replay() skipped: undecodable, or of an unknown key version.
  int64_t skipped_records() const;

  // --- the transactional producer's requests ------------------------------
  // `partition` is transaction_partition(transactional id, ...) as the
  // caller routed it. A null transactional id (an idempotent producer) is the
  // caller's to serve; the coordinator answers it INVALID_REQUEST.
  void init_producer_id(const CallContext& ctx, int32_t partition, const protocol::InitProducerIdRequest& request,
                        std::function<void(protocol::InitProducerIdResponse)> done);
  // One transaction of an AddPartitionsToTxn request (the handler splits a
  // v4+ batch by coordinating shard and joins the results with
  // add_partitions_response). With verify_only (v4+, a broker verifying
  // before a transactional produce, KIP-890) nothing is added: see
  // verify_partitions. Partitions that do not exist, and (v0-3) those of
  // internal topics, fail the whole transaction (UNKNOWN_TOPIC_OR_PARTITION,
  // TOPIC_AUTHORIZATION_FAILED, the others OPERATION_NOT_ATTEMPTED).
  void add_partitions_to_txn(const CallContext& ctx, int32_t partition, const AddPartitionsToTxnTransaction& transaction,
                             std::function<void(AddPartitionsToTxnResult)> done);
  // Adds the group's __consumer_offsets partition; `offsets_partition_count`
  // is that topic's partition count (offsets.topic.num.partitions while it
  // does not exist yet).
  void add_offsets_to_txn(const CallContext& ctx, int32_t partition, const protocol::AddOffsetsToTxnRequest& request,
                          int32_t offsets_partition_count, std::function<void(protocol::AddOffsetsToTxnResponse)> done);
  // Answered once PrepareCommit/PrepareAbort is durable; the markers and the
  // CompleteCommit/CompleteAbort record follow. An EndTxn retried after that
  // is answered NONE.
  void end_txn(const CallContext& ctx, int32_t partition, const protocol::EndTxnRequest& request,
               std::function<void(protocol::EndTxnResponse)> done);

  // KIP-890 part 1, for the broker's own transactional Produce: for each of
  // `partitions`, NONE if it is in producer_id/producer_epoch's ongoing
  // transaction, else TRANSACTION_ABORTABLE; every partition gets the same
  // error when the transaction cannot be checked (INVALID_REQUEST,
  // NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS,
  // INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED, CONCURRENT_TRANSACTIONS).
  std::map<TopicPartition, protocol::ErrorCode> verify_partitions(int32_t partition, const std::string& transactional_id,
                                                                  int64_t producer_id, int16_t producer_epoch,
                                                                  const TopicPartitionSet& partitions) const;

  // --- administration ------------------------------------------------------
  protocol::DescribeTransactionsResponse::TransactionState describe_transaction(
      int32_t partition, const std::string& transactional_id) const;
  // The transactions of this shard's loaded partitions that pass the
  // request's filters (states by name, producer ids, v1: open longer than
  // duration_filter ms). COORDINATOR_LOAD_IN_PROGRESS, and no transactions,
  // while a partition is loading. The handler joins the shards' answers.
  protocol::ListTransactionsResponse list_transactions(const protocol::ListTransactionsRequest& request,
                                                       int64_t now_ms) const;

  // --- time ----------------------------------------------------------------
  // The earliest moment advance() has work to do (a marker retry, the
  // periodic timed-out transaction and expired id checks), if any.
  std::optional<int64_t> next_deadline_ms() const;
  // Runs everything due at `now_ms`: transactions open past their timeout
  // are aborted under a bumped epoch, idle transactional ids past
  // transactional.id.expiration.ms are tombstoned, markers retried.
  void advance(int64_t now_ms);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace freshet::coordinator
