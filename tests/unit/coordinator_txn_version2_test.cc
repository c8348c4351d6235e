// Transaction version 2 (KIP-890 part 2): partitions added by the broker for
// a Produce v12 / TxnOffsetCommit v5 (AddPartitionsToTxn v5), EndTxn v5
// bumping the epoch and answering the next one, retries recognised by the
// epoch before the bump, aborts with nothing to end, and the producer id
// rotation at an exhausted epoch, also across a restart.
#include <limits>

#include "coordinator/txn_records.h"
#include "coordinator_txn_test_harness.h"

namespace freshet::coordinator::testing {
namespace {

constexpr int16_t kBrokerAddVersion = 5;
constexpr int16_t kEndTxnV5 = 5;
constexpr int16_t kLastEpoch = std::numeric_limits<int16_t>::max() - 1;

class TxnVersion2Test : public TxnCoordinatorTest {
 protected:
  // `id` initialized and Ongoing on `partitions`, added as a broker adds them.
  ProducerIdAndEpoch ongoing_v2(const std::string& id, std::vector<TopicPartition> partitions = {{"t", 0}}) {
    const ProducerIdAndEpoch producer = initialized(id);
    add_v2(id, producer, std::move(partitions));
    return producer;
  }
  void add_v2(const std::string& id, ProducerIdAndEpoch producer, std::vector<TopicPartition> partitions = {{"t", 0}}) {
    auto added = add(id, producer, std::move(partitions), kBrokerAddVersion);
    settle();
    ASSERT_TRUE(added.ready());
    EXPECT_EQ(error_of(*added), 0);
  }
  // EndTxn v5, everything settled; the answer.
  protocol::EndTxnResponse end_v2(const std::string& id, ProducerIdAndEpoch producer, bool commit) {
    auto answer = end(id, producer, commit, kEndTxnV5);
    settle();
    EXPECT_TRUE(answer.ready());
    return *answer;
  }
  static ProducerIdAndEpoch next_of(const protocol::EndTxnResponse& response) {
    return {response.producer_id, response.producer_epoch};
  }
};

TEST_F(TxnVersion2Test, EndTxnBumpsTheEpochWritesMarkersUnderItAndAnswersIt) {
  start();
  const auto producer = ongoing_v2("a", {{"t", 0}, {"u", 1}});
  auto committed = end("a", producer, true, kEndTxnV5);
  store.complete_next();  // PrepareCommit
  ASSERT_TRUE(committed.ready());
  EXPECT_EQ(committed->error_code, 0);
  EXPECT_EQ(committed->producer_id, producer.producer_id);
  EXPECT_EQ(committed->producer_epoch, producer.producer_epoch + 1);
  ASSERT_EQ(markers.pending.size(), 1u);
  EXPECT_EQ(markers.pending.front().marker.producer_id, producer.producer_id);
  EXPECT_EQ(markers.pending.front().marker.producer_epoch, producer.producer_epoch + 1);
  settle();
  EXPECT_EQ(state_of("a"), "CompleteCommit");
  EXPECT_EQ(describe("a").producer_epoch, producer.producer_epoch + 1);

  // The next transaction runs under the new epoch; the old one is fenced.
  EXPECT_EQ(error_of(*add("a", producer, {{"t", 0}}, kBrokerAddVersion)), code(ErrorCode::ProducerFenced));
  const ProducerIdAndEpoch next = next_of(*committed);
  add_v2("a", next);
  const auto aborted = end_v2("a", next, false);
  EXPECT_EQ(aborted.error_code, 0);
  EXPECT_EQ(aborted.producer_epoch, next.producer_epoch + 1);
  EXPECT_EQ(state_of("a"), "CompleteAbort");
}

TEST_F(TxnVersion2Test, ARetriedEndTxnGetsTheSameAnswer) {
  start();
  const auto producer = ongoing_v2("a");
  auto committed = end("a", producer, true, kEndTxnV5);
  store.complete_next();
  ASSERT_EQ(committed->error_code, 0);
  // While the markers are written.
  EXPECT_EQ(end("a", producer, true, kEndTxnV5)->error_code, code(ErrorCode::ConcurrentTransactions));
  EXPECT_EQ(end("a", producer, false, kEndTxnV5)->error_code, code(ErrorCode::ConcurrentTransactions));
  settle();
  const auto retried = end_v2("a", producer, true);
  EXPECT_EQ(retried.error_code, 0);
  EXPECT_EQ(retried.producer_id, committed->producer_id);
  EXPECT_EQ(retried.producer_epoch, committed->producer_epoch);
  EXPECT_EQ(end_v2("a", producer, false).error_code, code(ErrorCode::InvalidTxnState));
  // Two epochs back is not a retry.
  EXPECT_EQ(end_v2("a", {producer.producer_id, static_cast<int16_t>(producer.producer_epoch - 1)}, true).error_code,
            code(ErrorCode::ProducerFenced));
  EXPECT_TRUE(store.pending.empty());
}

TEST_F(TxnVersion2Test, AnAbortWithNothingToEndBumpsTheEpochWithoutMarkers) {
  start();
  const auto producer = initialized("a");
  EXPECT_EQ(end_v2("a", producer, true).error_code, code(ErrorCode::InvalidTxnState));
  const auto aborted = end_v2("a", producer, false);
  EXPECT_EQ(aborted.error_code, 0);
  EXPECT_EQ(aborted.producer_epoch, producer.producer_epoch + 1);
  EXPECT_TRUE(markers.written.empty());
  EXPECT_EQ(state_of("a"), "CompleteAbort");
  // Retried: the same answer; at the new epoch: another empty abort.
  EXPECT_EQ(end_v2("a", producer, false).producer_epoch, aborted.producer_epoch);
  EXPECT_EQ(end_v2("a", next_of(aborted), false).producer_epoch, aborted.producer_epoch + 1);
}

TEST_F(TxnVersion2Test, AStaleEpochIsFenced) {
  start();
  const auto producer = ongoing_v2("a");
  const ProducerIdAndEpoch stale{producer.producer_id, static_cast<int16_t>(producer.producer_epoch - 1)};
  EXPECT_EQ(end_v2("a", stale, true).error_code, code(ErrorCode::ProducerFenced));
  EXPECT_EQ(end_v2("a", {producer.producer_id + 1, producer.producer_epoch}, true).error_code,
            code(ErrorCode::InvalidProducerIdMapping));
  EXPECT_EQ(state_of("a"), "Ongoing");
}

// A transaction at the last epoch a producer is given: its end rotates the id.
std::vector<StoredRecord> ongoing_at_last_epoch(int64_t producer_id) {
  TxnImage image;
  image.producer_id = producer_id;
  image.producer_epoch = kLastEpoch;
  image.timeout_ms = 60000;
  image.state = TxnState::kOngoing;
  image.client_transaction_version = kTransactionVersion2;
  image.partitions = {{"t", 0}};
  image.start_timestamp_ms = 1;
  image.last_update_timestamp_ms = 1;
  return {txn_record("a", image)};
}

TEST_F(TxnVersion2Test, TheEndAtTheLastEpochRotatesTheProducerId) {
  start_with(ongoing_at_last_epoch(77));
  const ProducerIdAndEpoch producer{77, kLastEpoch};
  auto committed = end("a", producer, true, kEndTxnV5);
  ASSERT_EQ(producer_ids.pending.size(), 1u);
  producer_ids.grant_next();  // 1000
  store.complete_next();      // PrepareCommit
  ASSERT_TRUE(committed.ready());
  EXPECT_EQ(committed->error_code, 0);
  EXPECT_EQ(committed->producer_id, 1000);
  EXPECT_EQ(committed->producer_epoch, 0);
  ASSERT_EQ(markers.pending.size(), 1u);
  EXPECT_EQ(markers.pending.front().marker.producer_id, 77);
  EXPECT_EQ(markers.pending.front().marker.producer_epoch, kLastEpoch + 1);
  // The next transaction's add under the new id waits for the old one to complete.
  auto next = add("a", {1000, 0}, {{"t", 0}}, kBrokerAddVersion);
  EXPECT_FALSE(next.ready());
  settle();
  ASSERT_TRUE(next.ready());
  EXPECT_EQ(error_of(*next), 0);
  EXPECT_EQ(describe("a").producer_id, 1000);
  EXPECT_EQ(describe("a").producer_epoch, 0);
  EXPECT_EQ(state_of("a"), "Ongoing");
}

TEST_F(TxnVersion2Test, ARotationPreparedBeforeARestartCompletesAfterIt) {
  start_with(ongoing_at_last_epoch(77));
  auto committed = end("a", {77, kLastEpoch}, true, kEndTxnV5);
  producer_ids.grant_next();
  store.complete_next();  // PrepareCommit, naming 1000 as the next id
  ASSERT_EQ(committed->producer_id, 1000);
  restart();
  EXPECT_EQ(state_of("a"), "PrepareCommit");
  settle();  // the reloaded coordinator writes the markers and completes
  EXPECT_EQ(describe("a").producer_id, 1000);
  EXPECT_EQ(describe("a").producer_epoch, 0);
  const auto retried = end_v2("a", {77, kLastEpoch}, true);
  EXPECT_EQ(retried.error_code, 0);
  EXPECT_EQ(retried.producer_id, 1000);
  EXPECT_EQ(retried.producer_epoch, 0);
}

TEST_F(TxnVersion2Test, RecordsKeepTheVersion2Fields) {
  TxnImage image;
  image.producer_id = 5;
  image.last_producer_id = 4;
  image.next_producer_id = 6;
  image.producer_epoch = 9;
  image.client_transaction_version = kTransactionVersion2;
  image.timeout_ms = 1000;
  image.state = TxnState::kPrepareAbort;
  image.partitions = {{"t", 2}};
  image.start_timestamp_ms = 10;
  image.last_update_timestamp_ms = 20;
  const StoredRecord record = txn_record("x", image);
  auto decoded = decode_txn_record(record.key, std::span<const uint8_t>(*record.value));
  ASSERT_TRUE(decoded && decoded->image);
  EXPECT_EQ(*decoded->image, image);
}

}  // namespace
}  // namespace freshet::coordinator::testing
