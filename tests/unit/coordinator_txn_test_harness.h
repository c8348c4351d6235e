// Drives a TransactionCoordinator in unit tests: simulated time and
// in-memory ports (the __transaction_state store, producer ids, the marker
// writer) whose answers come when the test says so.
#pragma once

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "coordinator/transaction_coordinator.h"
#include "coordinator/txn_records.h"
#include "coordinator_test_harness.h"
#include "protocol/errors.h"
#include "protocol/messages.h"

namespace freshet::coordinator::testing {

struct TxnAppend {
  int32_t partition = 0;
  std::vector<StoredRecord> records;
  std::function<void(ErrorCode)> done;
};

// The transaction coordinator's store: appends wait until the test completes them.
class MemoryTxnStore : public TxnLogStore, public PendingAppends<TxnAppend> {
 public:
  void append(int32_t partition, std::vector<StoredRecord> records, std::function<void(ErrorCode)> done) override {
    pending.push_back(TxnAppend{partition, std::move(records), std::move(done)});
  }
  static std::optional<TxnLogRecord> decoded(const StoredRecord& record) {
    std::optional<std::span<const uint8_t>> value;
    if (record.value) value = std::span<const uint8_t>(*record.value);
    return decode_txn_record(record.key, value);
  }
  // The state of each durable record, in log order (Dead for a tombstone).
  std::vector<TxnState> logged_states() const {
    std::vector<TxnState> states;
    for (const auto& [partition, record] : log) {
      auto txn = decoded(record);
      states.push_back(txn && txn->image ? txn->image->state : TxnState::kDead);
    }
    return states;
  }
  // The transactional ids tombstoned, in log order.
  std::vector<std::string> tombstoned_ids() const {
    std::vector<std::string> ids;
    for (const auto& [partition, record] : log) {
      auto txn = decoded(record);
      if (txn && !txn->image) ids.push_back(txn->transactional_id);
    }
    return ids;
  }

};

// Producer ids 1000, 1001, ... handed out when the test says so.
class QueuedProducerIds : public ProducerIdSource {
 public:
  void next_producer_id(std::function<void(NewProducerId)> done) override { pending.push_back(std::move(done)); }
  void grant_next() {
    ASSERT_FALSE(pending.empty());
    auto done = std::move(pending.front());
    pending.pop_front();
    done(NewProducerId{ErrorCode::None, next_id++});
  }
  void fail_next(ErrorCode error) {
    ASSERT_FALSE(pending.empty());
    auto done = std::move(pending.front());
    pending.pop_front();
    done(NewProducerId{error, -1});
  }
  void grant_all() {
    while (!pending.empty()) grant_next();
  }

  std::deque<std::function<void(NewProducerId)>> pending;
  int64_t next_id = 1000;
};

// Every partition exists but those in `deleted`; marker writes wait in
// `pending`; the markers of writes that succeeded land in `written`.
class MemoryMarkerWriter : public TxnMarkerWriter {
 public:
  struct Write {
    TxnMarker marker;
    std::function<void(std::vector<ErrorCode>)> done;
  };

  bool partition_exists(const TopicPartition& partition) const override { return deleted.count(partition) == 0; }
  void write_markers(TxnMarker marker, std::function<void(std::vector<ErrorCode>)> done) override {
    pending.push_back(Write{std::move(marker), std::move(done)});
  }
  // Completes the oldest write with `errors` per partition (all None if empty).
  void complete_next(std::map<TopicPartition, ErrorCode> errors = {}) {
    ASSERT_FALSE(pending.empty());
    Write write = std::move(pending.front());
    pending.pop_front();
    std::vector<ErrorCode> results;
    TxnMarker landed = write.marker;
    landed.partitions.clear();
    for (const auto& partition : write.marker.partitions) {
      auto it = errors.find(partition);
      results.push_back(it == errors.end() ? ErrorCode::None : it->second);
      if (results.back() == ErrorCode::None) landed.partitions.push_back(partition);
    }
    written.push_back(std::move(landed));
    write.done(std::move(results));
  }
  void complete_all() {
    while (!pending.empty()) complete_next();
  }

  std::set<TopicPartition> deleted;
  std::deque<Write> pending;
  std::vector<TxnMarker> written;
};

struct ProducerIdAndEpoch {
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
};

class TxnCoordinatorTest : public ::testing::Test {
 protected:
  static constexpr int32_t kPartition = 3;
  static constexpr int32_t kCoordinatorEpoch = 7;
  static constexpr int32_t kTimeoutMs = 60000;

  TxnCoordinatorTest() { spdlog::set_level(spdlog::level::warn); }

  // Creates the coordinator and loads kPartition (empty).
  void start() {
    coordinator = std::make_unique<TransactionCoordinator>(config, store, producer_ids, markers);
    coordinator->begin_loading(kPartition, kCoordinatorEpoch);
    coordinator->finish_loading(kPartition, now);
  }

  // Creates the coordinator with kPartition loaded from `records`.
  void start_with(const std::vector<StoredRecord>& records, int32_t coordinator_epoch = kCoordinatorEpoch) {
    coordinator = std::make_unique<TransactionCoordinator>(config, store, producer_ids, markers);
    coordinator->begin_loading(kPartition, coordinator_epoch);
    for (const auto& record : records) {
      std::optional<std::span<const uint8_t>> value;
      if (record.value) value = std::span<const uint8_t>(*record.value);
      coordinator->replay(kPartition, record.key, value);
    }
    coordinator->finish_loading(kPartition, now);
  }

  // A restart: the work in flight is lost and a new coordinator loads
  // kPartition from the durable log, at a new coordinator epoch.
  void restart(int32_t coordinator_epoch = kCoordinatorEpoch + 1) {
    coordinator.reset();
    store.pending.clear();
    producer_ids.pending.clear();
    markers.pending.clear();
    std::vector<StoredRecord> records;
    for (const auto& [partition, record] : store.log) {
      if (partition == kPartition) records.push_back(record);
    }
    start_with(records, coordinator_epoch);
  }

  CallContext ctx(int16_t version) const { return CallContext{version, "client", "/127.0.0.1", now}; }

  // Answers every port until nothing is pending (producer ids, appends,
  // marker writes, in rounds).
  void settle() {
    while (!producer_ids.pending.empty() || !store.pending.empty() || !markers.pending.empty()) {
      producer_ids.grant_all();
      store.complete_all();
      markers.complete_all();
    }
  }

  // Moves time forward, firing every deadline on the way at its own time.
  void run_for(int64_t ms) { run_deadlines(*coordinator, now, ms); }

  Answer<protocol::InitProducerIdResponse> init(const std::string& id, int16_t version = 4,
                                               std::optional<ProducerIdAndEpoch> expected = std::nullopt,
                                               int32_t timeout_ms = kTimeoutMs) {
    protocol::InitProducerIdRequest r;
    r.transactional_id = id;
    r.transaction_timeout_ms = timeout_ms;
    if (expected) {
      r.producer_id = expected->producer_id;
      r.producer_epoch = expected->producer_epoch;
    }
    Answer<protocol::InitProducerIdResponse> answer;
    coordinator->init_producer_id(ctx(version), kPartition, r, answer.callback());
    return answer;
  }

  // A successful InitProducerId, everything settled.
  ProducerIdAndEpoch initialized(const std::string& id) {
    auto answer = init(id);
    settle();
    EXPECT_TRUE(answer.ready());
    EXPECT_EQ(answer->error_code, 0);
    return {answer->producer_id, answer->producer_epoch};
  }

  Answer<AddPartitionsToTxnResult> add(const std::string& id, ProducerIdAndEpoch producer,
                                       std::vector<TopicPartition> partitions, int16_t version = 3,
                                       bool verify_only = false) {
    AddPartitionsToTxnTransaction t;
    t.transactional_id = id;
    t.producer_id = producer.producer_id;
    t.producer_epoch = producer.producer_epoch;
    t.verify_only = verify_only;
    for (const auto& p : partitions) {
      if (t.topics.empty() || t.topics.back().name != p.topic) t.topics.emplace_back().name = p.topic;
      t.topics.back().partitions.push_back(p.partition);
    }
    Answer<AddPartitionsToTxnResult> answer;
    coordinator->add_partitions_to_txn(ctx(version), kPartition, t, answer.callback());
    return answer;
  }

  // The error of every partition of an AddPartitionsToTxn result.
  static std::map<TopicPartition, int16_t> errors_of(const AddPartitionsToTxnResult& result) {
    std::map<TopicPartition, int16_t> errors;
    for (const auto& topic : result.topic_results) {
      for (const auto& p : topic.results_by_partition) errors[{topic.name, p.partition_index}] = p.partition_error_code;
    }
    return errors;
  }

  // The single error every partition of `result` has (fails if they differ).
  static int16_t error_of(const AddPartitionsToTxnResult& result) {
    auto errors = errors_of(result);
    EXPECT_FALSE(errors.empty());
    for (const auto& [partition, error] : errors) EXPECT_EQ(error, errors.begin()->second) << partition.topic;
    return errors.empty() ? -2 : errors.begin()->second;
  }

  Answer<protocol::AddOffsetsToTxnResponse> add_offsets(const std::string& id, ProducerIdAndEpoch producer,
                                                       const std::string& group, int16_t version = 3) {
    protocol::AddOffsetsToTxnRequest r;
    r.transactional_id = id;
    r.producer_id = producer.producer_id;
    r.producer_epoch = producer.producer_epoch;
    r.group_id = group;
    Answer<protocol::AddOffsetsToTxnResponse> answer;
    coordinator->add_offsets_to_txn(ctx(version), kPartition, r, kOffsetsPartitions, answer.callback());
    return answer;
  }

  Answer<protocol::EndTxnResponse> end(const std::string& id, ProducerIdAndEpoch producer, bool commit,
                                      int16_t version = 3) {
    protocol::EndTxnRequest r;
    r.transactional_id = id;
    r.producer_id = producer.producer_id;
    r.producer_epoch = producer.producer_epoch;
    r.committed = commit;
    Answer<protocol::EndTxnResponse> answer;
    coordinator->end_txn(ctx(version), kPartition, r, answer.callback());
    return answer;
  }

  // An Ongoing transaction of `id` on `partitions`, everything settled.
  ProducerIdAndEpoch ongoing(const std::string& id, std::vector<TopicPartition> partitions = {{"t", 0}}) {
    const ProducerIdAndEpoch producer = initialized(id);
    auto added = add(id, producer, std::move(partitions));
    settle();
    EXPECT_EQ(error_of(*added), 0);
    return producer;
  }

  protocol::DescribeTransactionsResponse::TransactionState describe(const std::string& id) const {
    return coordinator->describe_transaction(kPartition, id);
  }
  std::string state_of(const std::string& id) const { return describe(id).transaction_state; }

  static constexpr int32_t kOffsetsPartitions = 50;

  TransactionConfig config;
  MemoryTxnStore store;
  QueuedProducerIds producer_ids;
  MemoryMarkerWriter markers;
  std::unique_ptr<TransactionCoordinator> coordinator;
  int64_t now = 1'000'000;
};

}  // namespace freshet::coordinator::testing
