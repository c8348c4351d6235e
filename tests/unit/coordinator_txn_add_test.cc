// AddPartitionsToTxn (v0-3 and the v4+ batched form with verify_only),
// AddOffsetsToTxn and KIP-890 verification.
#include "coordinator_txn_test_harness.h"

namespace freshet::coordinator::testing {
namespace {

class TxnAddTest : public TxnCoordinatorTest {};

TEST_F(TxnAddTest, AddingPartitionsStartsTheTransactionOnceDurable) {
  start();
  const auto producer = initialized("a");
  now += 500;
  auto added = add("a", producer, {{"t", 0}, {"t", 1}, {"u", 0}});
  EXPECT_FALSE(added.ready());
  store.complete_next();
  ASSERT_TRUE(added.ready());
  EXPECT_EQ(added->transactional_id, "a");
  EXPECT_EQ(errors_of(*added), (std::map<TopicPartition, int16_t>{{{"t", 0}, 0}, {{"t", 1}, 0}, {{"u", 0}, 0}}));
  const auto described = describe("a");
  EXPECT_EQ(described.transaction_state, "Ongoing");
  EXPECT_EQ(described.transaction_start_time_ms, now);
  ASSERT_EQ(described.topics.size(), 2u);
  EXPECT_EQ(described.topics[0].topic, "t");
  EXPECT_EQ(described.topics[0].partitions, (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(described.topics[1].topic, "u");

  // More partitions later keep the start time.
  now += 500;
  auto more = add("a", producer, {{"v", 3}});
  settle();
  EXPECT_EQ(error_of(*more), 0);
  EXPECT_EQ(describe("a").transaction_start_time_ms, now - 500);
}

TEST_F(TxnAddTest, PartitionsAlreadyInAreAnsweredAtOnce) {
  start();
  const auto producer = ongoing("a", {{"t", 0}, {"t", 1}});
  const size_t records = store.log.size();
  auto again = add("a", producer, {{"t", 1}});
  ASSERT_TRUE(again.ready());
  EXPECT_EQ(error_of(*again), 0);
  EXPECT_TRUE(store.pending.empty());
  EXPECT_EQ(store.log.size(), records);
}

TEST_F(TxnAddTest, WrongProducersAreRefusedPerVersion) {
  start();
  const auto producer = initialized("a");
  const ProducerIdAndEpoch stale{producer.producer_id, static_cast<int16_t>(producer.producer_epoch + 1)};
  EXPECT_EQ(error_of(*add("a", stale, {{"t", 0}}, 2)), code(ErrorCode::ProducerFenced));
  EXPECT_EQ(error_of(*add("a", stale, {{"t", 0}}, 1)), code(ErrorCode::InvalidProducerEpoch));
  EXPECT_EQ(error_of(*add("a", {producer.producer_id + 1, 0}, {{"t", 0}})), code(ErrorCode::InvalidProducerIdMapping));
  EXPECT_EQ(error_of(*add("nobody", producer, {{"t", 0}})), code(ErrorCode::InvalidProducerIdMapping));
  EXPECT_EQ(error_of(*add("", producer, {{"t", 0}})), code(ErrorCode::InvalidRequest));
  EXPECT_TRUE(store.pending.empty());
}

TEST_F(TxnAddTest, AChangeInFlightMeansRetry) {
  start();
  const auto producer = initialized("a");
  auto first = add("a", producer, {{"t", 0}});
  EXPECT_EQ(error_of(*add("a", producer, {{"t", 1}})), code(ErrorCode::ConcurrentTransactions));
  settle();
  EXPECT_EQ(error_of(*first), 0);
}

TEST_F(TxnAddTest, TheNextTransactionsAddWaitsForThePreviousOneToComplete) {
  start();
  const auto producer = ongoing("a");
  auto ended = end("a", producer, true);
  store.complete_next();  // PrepareCommit durable, markers under way
  ASSERT_EQ(ended->error_code, 0);
  auto next = add("a", producer, {{"t", 1}});
  EXPECT_FALSE(next.ready());
  markers.complete_next();
  store.complete_next();  // CompleteCommit: the held add runs and writes Ongoing
  EXPECT_FALSE(next.ready());
  ASSERT_EQ(store.pending.size(), 1u);
  store.complete_next();
  ASSERT_TRUE(next.ready());
  EXPECT_EQ(error_of(*next), 0);
  EXPECT_EQ(state_of("a"), "Ongoing");
  EXPECT_EQ(describe("a").topics.at(0).partitions, std::vector<int32_t>{1});
}

TEST_F(TxnAddTest, HeldAddsAreBoundedAndAnsweredWhenMarkersBackOffOrThePartitionGoes) {
  start();
  const auto producer = ongoing("a");
  end("a", producer, true);
  store.complete_next();
  std::vector<Answer<AddPartitionsToTxnResult>> held;
  for (int32_t i = 0; i < config.max_held_adds_per_transaction; ++i) held.push_back(add("a", producer, {{"t", 1}}));
  // One more than the bound is answered at once.
  EXPECT_EQ(error_of(*add("a", producer, {{"t", 1}})), code(ErrorCode::ConcurrentTransactions));
  markers.complete_next({{{"t", 0}, ErrorCode::NotLeaderOrFollower}});  // retried after a backoff
  for (auto& answer : held) {
    ASSERT_TRUE(answer.ready());
    EXPECT_EQ(error_of(*answer), code(ErrorCode::ConcurrentTransactions));
  }
  // While backing off nothing is held.
  EXPECT_EQ(error_of(*add("a", producer, {{"t", 1}})), code(ErrorCode::ConcurrentTransactions));
  run_for(config.marker_retry_backoff_ms);
  auto waiting = add("a", producer, {{"t", 1}});
  EXPECT_FALSE(waiting.ready());
  coordinator->unload(kPartition);
  ASSERT_TRUE(waiting.ready());
  EXPECT_EQ(error_of(*waiting), code(ErrorCode::NotCoordinator));
}

TEST_F(TxnAddTest, AMissingPartitionFailsTheWholeTransaction) {
  start();
  const auto producer = initialized("a");
  markers.deleted = {{"t", 1}};
  auto added = add("a", producer, {{"t", 0}, {"t", 1}, {"u", 0}});
  ASSERT_TRUE(added.ready());
  EXPECT_EQ(errors_of(*added), (std::map<TopicPartition, int16_t>{{{"t", 0}, code(ErrorCode::OperationNotAttempted)},
                                                                  {{"t", 1}, code(ErrorCode::UnknownTopicOrPartition)},
                                                                  {{"u", 0}, code(ErrorCode::OperationNotAttempted)}}));
  EXPECT_TRUE(store.pending.empty());
  EXPECT_EQ(state_of("a"), "Empty");
}

TEST_F(TxnAddTest, ClientsMayNotAddInternalTopics) {
  start();
  const auto producer = initialized("a");
  auto refused = add("a", producer, {{"__consumer_offsets", 3}, {"__transaction_state", 0}, {"t", 0}}, 3);
  EXPECT_EQ(errors_of(*refused),
            (std::map<TopicPartition, int16_t>{{{"__consumer_offsets", 3}, code(ErrorCode::TopicAuthorizationFailed)},
                                               {{"__transaction_state", 0}, code(ErrorCode::TopicAuthorizationFailed)},
                                               {{"t", 0}, code(ErrorCode::OperationNotAttempted)}}));
  // A broker (v4+) may.
  auto from_broker = add("a", producer, {{"__consumer_offsets", 3}}, 4);
  settle();
  EXPECT_EQ(error_of(*from_broker), 0);
}

TEST_F(TxnAddTest, VerifyOnlyChecksWithoutAdding) {
  start();
  const auto producer = ongoing("a", {{"t", 0}});
  const size_t records = store.log.size();
  auto verified = add("a", producer, {{"t", 0}, {"t", 1}}, 4, true);
  ASSERT_TRUE(verified.ready());
  EXPECT_EQ(errors_of(*verified), (std::map<TopicPartition, int16_t>{
                                      {{"t", 0}, 0}, {{"t", 1}, code(ErrorCode::TransactionAbortable)}}));
  EXPECT_EQ(store.log.size(), records);
  EXPECT_TRUE(store.pending.empty());
  // verify_only means nothing before v4.
  auto added = add("a", producer, {{"t", 1}}, 3, true);
  settle();
  EXPECT_EQ(error_of(*added), 0);
  EXPECT_EQ(describe("a").topics.at(0).partitions, (std::vector<int32_t>{0, 1}));
}

TEST_F(TxnAddTest, VerifyPartitionsAnswersPerPartitionOrForAll) {
  start();
  const auto producer = ongoing("a", {{"t", 0}});
  const TopicPartitionSet asked = {{"t", 0}, {"t", 1}};
  auto verify = [&](const std::string& id, ProducerIdAndEpoch p, int32_t partition = kPartition) {
    return coordinator->verify_partitions(partition, id, p.producer_id, p.producer_epoch, asked);
  };
  EXPECT_EQ(verify("a", producer), (std::map<TopicPartition, ErrorCode>{{{"t", 0}, ErrorCode::None},
                                                                        {{"t", 1}, ErrorCode::TransactionAbortable}}));
  auto all = [&](ErrorCode error) {
    return std::map<TopicPartition, ErrorCode>{{{"t", 0}, error}, {{"t", 1}, error}};
  };
  EXPECT_EQ(verify("", producer), all(ErrorCode::InvalidRequest));
  EXPECT_EQ(verify("a", producer, kPartition + 1), all(ErrorCode::NotCoordinator));
  EXPECT_EQ(verify("b", producer), all(ErrorCode::InvalidProducerIdMapping));
  EXPECT_EQ(verify("a", {producer.producer_id, 9}), all(ErrorCode::ProducerFenced));
  // A pending add does not count until durable.
  auto adding = add("a", producer, {{"t", 1}});
  EXPECT_EQ(verify("a", producer).at({"t", 1}), ErrorCode::TransactionAbortable);
  settle();
  EXPECT_EQ(verify("a", producer).at({"t", 1}), ErrorCode::None);
  auto ended = end("a", producer, false);
  store.complete_next();
  EXPECT_EQ(verify("a", producer), all(ErrorCode::ConcurrentTransactions));
  settle();
  // After the abort no partition is in a transaction.
  EXPECT_EQ(verify("a", producer), all(ErrorCode::TransactionAbortable));
}

TEST_F(TxnAddTest, AddOffsetsAddsTheGroupsOffsetsPartition) {
  start();
  const auto producer = initialized("a");
  auto added = add_offsets("a", producer, "hello");
  settle();
  EXPECT_EQ(added->error_code, 0);
  const auto described = describe("a");
  ASSERT_EQ(described.topics.size(), 1u);
  EXPECT_EQ(described.topics[0].topic, "__consumer_offsets");
  EXPECT_EQ(described.topics[0].partitions, std::vector<int32_t>{22});  // "hello" hashes to 22 of 50

  const ProducerIdAndEpoch stale{producer.producer_id, 5};
  EXPECT_EQ(add_offsets("a", stale, "g", 2)->error_code, code(ErrorCode::ProducerFenced));
  EXPECT_EQ(add_offsets("a", stale, "g", 1)->error_code, code(ErrorCode::InvalidProducerEpoch));
  EXPECT_EQ(add_offsets("", producer, "g")->error_code, code(ErrorCode::InvalidRequest));
}

TEST_F(TxnAddTest, RequestsAndResponsesOfEachVersion) {
  protocol::AddPartitionsToTxnRequest request;
  request.v3_and_below_transactional_id = "a";
  request.v3_and_below_producer_id = 5;
  request.v3_and_below_producer_epoch = 2;
  request.v3_and_below_topics.emplace_back().name = "t";
  request.v3_and_below_topics[0].partitions = {0, 1};
  const AddPartitionsToTxnTransaction transaction = client_transaction(request);
  EXPECT_EQ(transaction.transactional_id, "a");
  EXPECT_EQ(transaction.producer_id, 5);
  EXPECT_EQ(transaction.producer_epoch, 2);
  EXPECT_FALSE(transaction.verify_only);
  EXPECT_EQ(transaction.topics, request.v3_and_below_topics);

  AddPartitionsToTxnResult result;
  result.transactional_id = "a";
  result.topic_results.emplace_back().name = "t";
  const auto v3 = add_partitions_response(3, {result});
  EXPECT_EQ(v3.results_by_topic_v3_and_below, result.topic_results);
  EXPECT_TRUE(v3.results_by_transaction.empty());
  const auto v4 = add_partitions_response(4, {result, result});
  EXPECT_EQ(v4.results_by_transaction.size(), 2u);
  EXPECT_TRUE(v4.results_by_topic_v3_and_below.empty());
}

}  // namespace
}  // namespace freshet::coordinator::testing
