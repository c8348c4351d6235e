// The inside of TransactionCoordinator (internal to this layer). Its methods
// are spread over files by job: txn_coordinator_state.cc (partitions,
// persistence, producer ids, time), init_producer_id.cc, add_partitions.cc
// (AddPartitionsToTxn, AddOffsetsToTxn, verification), end_txn.cc (EndTxn and
// fencing), txn_markers.cc (writing the markers and completing), txn_loading.cc,
// txn_admin.cc (Describe/ListTransactions) and txn_expiration.cc (timeouts and
// expired ids). The public methods in transaction_coordinator.cc call in and
// hand out the answers once the state is consistent.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "coordinator/outbox.h"
#include "coordinator/transaction.h"
#include "coordinator/transaction_coordinator.h"

namespace freshet::coordinator {

// Kafka's translation of a failed __transaction_state append into the error
// a client understands (TransactionStateManager.appendTransactionToLog).
protocol::ErrorCode txn_append_error(protocol::ErrorCode append_error);

// Where a transaction's markers are: waiting for a write slot, being
// written, waiting out a retry backoff, or its Complete* record being written.
enum class MarkerPhase : uint8_t { kQueued, kWriting, kBackingOff, kCompleting };

// One __transaction_state partition this shard owns or is loading.
struct TxnPartition {
  bool loading = true;
  int32_t coordinator_epoch = 0;
  uint64_t ownership = 0;  // new for each begin_loading: answers for an earlier one are stale
  std::map<std::string, Transaction> transactions;
  // New transactional ids whose InitProducerId waits for their first producer id.
  std::set<std::string> creating;
  // Transactions whose markers are being written (all PrepareCommit/PrepareAbort).
  std::map<std::string, MarkerPhase> markers;
  // AddPartitionsToTxn calls of the producer's next transaction that arrived
  // while the previous one completed: run again once it has (or once its
  // markers back off), instead of answering CONCURRENT_TRANSACTIONS and
  // leaving the client to retry ~20 ms later. At most
  // TransactionConfig::max_held_adds_per_transaction per transactional id.
  std::map<std::string, std::vector<std::function<void()>>> held_adds;
};

// A transaction's marker work, as the queues hold it.
struct MarkerJob {
  int32_t partition = 0;
  uint64_t ownership = 0;
  std::string transactional_id;
};

struct TransactionCoordinator::State {
  State(TransactionConfig config, TxnLogStore& store, ProducerIdSource& producer_ids, TxnMarkerWriter& markers);

  TransactionConfig config;
  TxnLogStore& store;
  ProducerIdSource& producer_ids;
  TxnMarkerWriter& marker_writer;
  Outbox outbox;
  std::map<int32_t, TxnPartition> partitions;
  uint64_t next_ownership = 1;
  int64_t now_ms = 0;  // the latest time any call passed in
  int64_t skipped_records = 0;
  // Store appends and producer-id requests not answered yet.
  int32_t waiting_requests = 0;
  int32_t inflight_marker_writes = 0;
  std::deque<MarkerJob> marker_queue;                         // waiting for a write slot
  std::deque<std::pair<int64_t, MarkerJob>> marker_retries;  // by deadline (one backoff for all)
  std::optional<int64_t> next_abort_check_ms;
  std::optional<int64_t> next_expiration_check_ms;
  // Store and writer answers hold a weak_ptr to this: they are dropped once
  // the coordinator is gone.
  std::shared_ptr<State*> self;

  // --- txn_coordinator_state.cc ---
  void observe_time(int64_t time_ms) { now_ms = std::max(now_ms, time_ms); }
  // None if the partition is owned and loaded, else NOT_COORDINATOR or
  // COORDINATOR_LOAD_IN_PROGRESS.
  protocol::ErrorCode partition_error(int32_t partition) const;
  TxnPartition* active(int32_t partition);
  const TxnPartition* active(int32_t partition) const;
  // The partition if this shard still holds it under `ownership`.
  TxnPartition* owned(int32_t partition, uint64_t ownership);
  Transaction* find(int32_t partition, const std::string& transactional_id);
  const Transaction* find(int32_t partition, const std::string& transactional_id) const;
  // False once max_waiting_requests are waiting: the caller answers
  // CONCURRENT_TRANSACTIONS.
  bool may_wait() const { return waiting_requests < config.max_waiting_requests; }
  // Appends `records` to the partition; when the store answers, `settled`
  // gets the client-facing error and the partition, or nullptr if this shard
  // unloaded or reloaded it meanwhile.
  void append(int32_t partition, std::vector<StoredRecord> records,
              std::function<void(protocol::ErrorCode, TxnPartition*)> settled);
  // Writes `txn`'s pending transition and completes it (durable) or
  // abandons it (failed); then `then(error, txn)`, or then(NOT_COORDINATOR,
  // nullptr) if the partition went away meanwhile.
  void persist(int32_t partition, Transaction& txn, std::function<void(protocol::ErrorCode, Transaction*)> then);
  // Asks for a producer id; `use` gets it with the partition, or nullptr as
  // for append().
  void request_producer_id(int32_t partition, std::function<void(NewProducerId, TxnPartition*)> use);
  std::optional<int64_t> next_deadline_ms() const;
  void advance(int64_t time_ms);

  // --- init_producer_id.cc ---
  using InitAnswer = std::function<void(protocol::ErrorCode, int64_t producer_id, int16_t producer_epoch)>;
  struct ExpectedProducer {
    int64_t producer_id;
    int16_t producer_epoch;
  };
  void init_producer_id(const CallContext& ctx, int32_t partition, const protocol::InitProducerIdRequest& request,
                        std::function<void(protocol::InitProducerIdResponse)> done);
  void init_transaction(int32_t partition, Transaction& txn, int32_t timeout_ms,
                        std::optional<ExpectedProducer> expected, InitAnswer answer);
  void persist_init(int32_t partition, Transaction& txn, InitAnswer answer);

  // --- add_partitions.cc ---
  void add_partitions_to_txn(const CallContext& ctx, int32_t partition, const AddPartitionsToTxnTransaction& request,
                             std::function<void(AddPartitionsToTxnResult)> done);
  void add_offsets_to_txn(const CallContext& ctx, int32_t partition, const protocol::AddOffsetsToTxnRequest& request,
                          int32_t offsets_partition_count, std::function<void(protocol::AddOffsetsToTxnResponse)> done);
  // Adds `added` to the transaction; answer(error) once durable or refused.
  void add_partitions(int32_t partition, const std::string& transactional_id, int64_t producer_id,
                      int16_t producer_epoch, const TopicPartitionSet& added, int16_t client_transaction_version,
                      std::function<void(protocol::ErrorCode)> answer);
  std::map<TopicPartition, protocol::ErrorCode> verify_partitions(int32_t partition, const std::string& transactional_id,
                                                                  int64_t producer_id, int16_t producer_epoch,
                                                                  const TopicPartitionSet& partitions) const;

  // --- end_txn.cc ---
  void end_txn(const CallContext& ctx, int32_t partition, const protocol::EndTxnRequest& request,
               std::function<void(protocol::EndTxnResponse)> done);
  using EndAnswer = std::function<void(protocol::ErrorCode, int64_t producer_id, int16_t producer_epoch)>;
  // EndTxn v0-4 (transaction version 0) and v5 (version 2: Kafka's
  // endTransaction with its epoch-bump rules).
  void end_txn_v0(int32_t partition, const protocol::EndTxnRequest& request, EndAnswer answer);
  void end_txn_v2(int32_t partition, const protocol::EndTxnRequest& request, EndAnswer answer);
  // Ends `txn` (Ongoing, or with nothing to end for a version 2 abort) with
  // an epoch bump, first fetching a new producer id when the epoch is exhausted.
  void prepare_end_v2(int32_t partition, Transaction& txn, bool commit, EndAnswer answer);
  // Fences the Ongoing `txn` and aborts it under the bumped epoch;
  // answer(error) once PrepareAbort is durable or failed.
  void fence_and_abort(int32_t partition, Transaction& txn, std::function<void(protocol::ErrorCode)> answer);
  // Writes the pending PrepareCommit/PrepareAbort; once durable, answers and
  // starts the markers.
  void persist_end(int32_t partition, Transaction& txn, std::function<void(protocol::ErrorCode)> answer);
  void persist_end(int32_t partition, Transaction& txn, EndAnswer answer);

  // --- txn_markers.cc ---
  // `txn` is PrepareCommit/PrepareAbort and durable: writes its markers,
  // then its CompleteCommit/CompleteAbort record.
  void start_markers(int32_t partition, Transaction& txn);
  // Writes queued markers while write slots are free.
  void pump_markers();
  // Moves the marker retries due at now_ms back to work.
  void resume_due_markers();
  // Drops the queued and backing-off marker work of `partition`.
  void drop_markers(int32_t partition);
  // Runs the calls held for `transactional_id` (they answer on their own,
  // NOT_COORDINATOR if the partition went away).
  void release_held_adds(std::map<std::string, std::vector<std::function<void()>>>& held,
                         const std::string& transactional_id);

  // --- txn_loading.cc ---
  void begin_loading(int32_t partition, int32_t coordinator_epoch);
  void replay(int32_t partition, std::span<const uint8_t> key, std::optional<std::span<const uint8_t>> value);
  void finish_loading(int32_t partition);
  void unload(int32_t partition);

  // --- txn_admin.cc ---
  protocol::DescribeTransactionsResponse::TransactionState describe_transaction(
      int32_t partition, const std::string& transactional_id) const;
  protocol::ListTransactionsResponse list_transactions(const protocol::ListTransactionsRequest& request,
                                                       int64_t time_ms) const;

  // --- txn_expiration.cc ---
  // Kafka's abortTimedOutTransactions.
  void abort_timed_out_transactions();
  // Kafka's removeExpiredTransactionalIds.
  void expire_transactional_ids();

  // Internal to txn_markers.cc.
  struct MarkerWork {
    TxnPartition& owned;
    Transaction& txn;
    MarkerPhase& phase;
  };
  // The job's transaction, if this shard still holds its partition under
  // the job's ownership and the job is still on.
  std::optional<MarkerWork> marker_work(const MarkerJob& job);
  void write_markers(const MarkerJob& job, MarkerWork work);
  void on_markers_written(const MarkerJob& job, const std::vector<TopicPartition>& sent,
                          const std::vector<protocol::ErrorCode>& errors);
  void complete_markers(const MarkerJob& job, MarkerWork work);
  void retry_markers_later(const MarkerJob& job, MarkerWork work);
};

}  // namespace freshet::coordinator
