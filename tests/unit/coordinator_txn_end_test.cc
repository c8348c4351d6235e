// EndTxn and the markers: PrepareCommit/PrepareAbort, the markers on every
// partition, CompleteCommit/CompleteAbort; retries, deleted partitions,
// errors that stop the work, retried EndTxn, and the bound on writes.
#include "coordinator_txn_test_harness.h"

namespace freshet::coordinator::testing {
namespace {

class TxnEndTest : public TxnCoordinatorTest {};

TEST_F(TxnEndTest, CommitIsAnsweredWhenPreparedThenMarkersThenComplete) {
  start();
  const auto producer = ongoing("a", {{"t", 0}, {"u", 1}});
  auto committed = end("a", producer, true);
  EXPECT_FALSE(committed.ready());
  ASSERT_EQ(store.pending.size(), 1u);
  store.complete_next();
  ASSERT_TRUE(committed.ready());
  EXPECT_EQ(committed->error_code, 0);
  EXPECT_EQ(state_of("a"), "PrepareCommit");

  ASSERT_EQ(markers.pending.size(), 1u);
  const TxnMarker& marker = markers.pending.front().marker;
  EXPECT_EQ(marker.producer_id, producer.producer_id);
  EXPECT_EQ(marker.producer_epoch, producer.producer_epoch);
  EXPECT_EQ(marker.coordinator_epoch, kCoordinatorEpoch);
  EXPECT_TRUE(marker.commit);
  EXPECT_EQ(marker.partitions, (std::vector<TopicPartition>{{"t", 0}, {"u", 1}}));
  EXPECT_TRUE(store.pending.empty());
  markers.complete_next();
  ASSERT_EQ(store.pending.size(), 1u);  // CompleteCommit
  EXPECT_EQ(state_of("a"), "PrepareCommit");
  store.complete_next();
  EXPECT_EQ(state_of("a"), "CompleteCommit");
  EXPECT_TRUE(describe("a").topics.empty());
  EXPECT_EQ(store.logged_states(), (std::vector<TxnState>{TxnState::kEmpty, TxnState::kOngoing,
                                                          TxnState::kPrepareCommit, TxnState::kCompleteCommit}));
}

TEST_F(TxnEndTest, AbortWritesAbortMarkers) {
  start();
  const auto producer = ongoing("a");
  auto aborted = end("a", producer, false);
  store.complete_next();
  EXPECT_EQ(aborted->error_code, 0);
  ASSERT_EQ(markers.pending.size(), 1u);
  EXPECT_FALSE(markers.pending.front().marker.commit);
  settle();
  EXPECT_EQ(state_of("a"), "CompleteAbort");
}

TEST_F(TxnEndTest, RetriedEndTxnIsAnsweredAsKafkaDoes) {
  start();
  const auto producer = ongoing("a");
  auto committed = end("a", producer, true);
  store.complete_next();
  ASSERT_EQ(committed->error_code, 0);
  // While the markers are written.
  EXPECT_EQ(end("a", producer, true)->error_code, code(ErrorCode::ConcurrentTransactions));
  EXPECT_EQ(end("a", producer, false)->error_code, code(ErrorCode::ConcurrentTransactions));
  settle();
  // Once complete: the same outcome is fine, the other one is not.
  EXPECT_EQ(end("a", producer, true)->error_code, 0);
  EXPECT_EQ(end("a", producer, false)->error_code, code(ErrorCode::InvalidTxnState));
  EXPECT_TRUE(store.pending.empty());
}

TEST_F(TxnEndTest, EndTxnWithoutATransactionOrFromTheWrongProducer) {
  start();
  const auto producer = initialized("a");
  EXPECT_EQ(end("a", producer, true)->error_code, code(ErrorCode::InvalidTxnState));  // Empty
  EXPECT_EQ(end("b", producer, true)->error_code, code(ErrorCode::InvalidProducerIdMapping));
  EXPECT_EQ(end("a", {producer.producer_id + 1, 0}, true)->error_code, code(ErrorCode::InvalidProducerIdMapping));
  const ProducerIdAndEpoch stale{producer.producer_id, static_cast<int16_t>(producer.producer_epoch + 1)};
  EXPECT_EQ(end("a", stale, true, 2)->error_code, code(ErrorCode::ProducerFenced));
  EXPECT_EQ(end("a", stale, true, 1)->error_code, code(ErrorCode::InvalidProducerEpoch));
  EXPECT_EQ(end("", producer, true)->error_code, code(ErrorCode::InvalidRequest));
  Answer<protocol::EndTxnResponse> elsewhere;
  protocol::EndTxnRequest r;
  r.transactional_id = "a";
  coordinator->end_txn(ctx(3), kPartition + 1, r, elsewhere.callback());
  EXPECT_EQ(elsewhere->error_code, code(ErrorCode::NotCoordinator));
}

TEST_F(TxnEndTest, AFailedPrepareLeavesTheTransactionOngoing) {
  start();
  const auto producer = ongoing("a");
  auto committed = end("a", producer, true);
  store.complete_next(ErrorCode::RequestTimedOut);
  EXPECT_EQ(committed->error_code, code(ErrorCode::CoordinatorNotAvailable));
  EXPECT_EQ(state_of("a"), "Ongoing");
  EXPECT_TRUE(markers.pending.empty());
  auto again = end("a", producer, true);
  settle();
  EXPECT_EQ(again->error_code, 0);
  EXPECT_EQ(state_of("a"), "CompleteCommit");
}

TEST_F(TxnEndTest, RetriableMarkerErrorsAreRetriedAfterTheBackoff) {
  config.marker_retry_backoff_ms = 100;
  start();
  const auto producer = ongoing("a", {{"t", 0}, {"u", 1}});
  end("a", producer, true);
  store.complete_next();
  markers.complete_next({{{"t", 0}, ErrorCode::NotLeaderOrFollower}});
  EXPECT_TRUE(markers.pending.empty());
  EXPECT_TRUE(store.pending.empty());
  EXPECT_EQ(describe("a").topics.at(0).topic, "t");  // u has its marker
  EXPECT_EQ(coordinator->next_deadline_ms(), now + 100);
  run_for(99);
  EXPECT_TRUE(markers.pending.empty());
  run_for(1);
  ASSERT_EQ(markers.pending.size(), 1u);
  EXPECT_EQ(markers.pending.front().marker.partitions, (std::vector<TopicPartition>{{"t", 0}}));
  markers.complete_next({{{"t", 0}, ErrorCode::NotEnoughReplicas}});
  run_for(100);
  markers.complete_next();
  settle();
  EXPECT_EQ(state_of("a"), "CompleteCommit");
}

TEST_F(TxnEndTest, PartitionsThatNoLongerExistGetNoMarker) {
  start();
  const auto producer = ongoing("a", {{"t", 0}, {"u", 1}, {"v", 2}});
  auto committed = end("a", producer, true);
  markers.deleted = {{"u", 1}};
  store.complete_next();
  ASSERT_EQ(markers.pending.size(), 1u);
  EXPECT_EQ(markers.pending.front().marker.partitions, (std::vector<TopicPartition>{{"t", 0}, {"v", 2}}));
  // A partition whose log cannot take the marker leaves the transaction too.
  markers.complete_next({{{"v", 2}, ErrorCode::UnsupportedForMessageFormat}});
  settle();
  EXPECT_EQ(state_of("a"), "CompleteCommit");
  EXPECT_EQ(markers.written.size(), 1u);
}

TEST_F(TxnEndTest, EveryPartitionDeletedCompletesWithoutMarkers) {
  start();
  const auto producer = ongoing("a", {{"t", 0}});
  end("a", producer, false);
  markers.deleted = {{"t", 0}};
  store.complete_next();
  EXPECT_TRUE(markers.pending.empty());
  settle();
  EXPECT_EQ(state_of("a"), "CompleteAbort");
}

TEST_F(TxnEndTest, AFencedMarkerStopsTheWorkUntilTheNextLoad) {
  start();
  const auto producer = ongoing("a", {{"t", 0}, {"u", 1}});
  end("a", producer, true);
  store.complete_next();
  markers.complete_next({{{"t", 0}, ErrorCode::InvalidProducerEpoch}});
  run_for(10'000);
  EXPECT_TRUE(markers.pending.empty());
  EXPECT_TRUE(store.pending.empty());
  EXPECT_EQ(state_of("a"), "PrepareCommit");
  EXPECT_EQ(end("a", producer, true)->error_code, code(ErrorCode::ConcurrentTransactions));
  EXPECT_EQ(init("a")->error_code, code(ErrorCode::ConcurrentTransactions));

  // A restart writes all the markers again and completes.
  restart();
  ASSERT_EQ(markers.pending.size(), 1u);
  EXPECT_EQ(markers.pending.front().marker.coordinator_epoch, kCoordinatorEpoch + 1);
  EXPECT_EQ(markers.pending.front().marker.partitions, (std::vector<TopicPartition>{{"t", 0}, {"u", 1}}));
  settle();
  EXPECT_EQ(state_of("a"), "CompleteCommit");
}

TEST_F(TxnEndTest, CompleteRecordIsRetriedWhileTheCoordinatorIsUnavailable) {
  config.marker_retry_backoff_ms = 100;
  start();
  const auto producer = ongoing("a");
  end("a", producer, true);
  store.complete_next();
  markers.complete_next();
  store.complete_next(ErrorCode::NotEnoughReplicas);
  EXPECT_TRUE(store.pending.empty());
  EXPECT_EQ(end("a", producer, true)->error_code, code(ErrorCode::ConcurrentTransactions));
  run_for(100);
  ASSERT_EQ(store.pending.size(), 1u);
  EXPECT_TRUE(markers.pending.empty());  // the markers are not written again
  store.complete_next();
  EXPECT_EQ(state_of("a"), "CompleteCommit");
}

TEST_F(TxnEndTest, CompleteRecordRefusedLeavesItPreparedUntilTheNextLoad) {
  start();
  const auto producer = ongoing("a");
  end("a", producer, true);
  store.complete_next();
  markers.complete_next();
  store.complete_next(ErrorCode::NotLeaderOrFollower);
  EXPECT_EQ(state_of("a"), "PrepareCommit");
  EXPECT_TRUE(describe("a").topics.empty());
  EXPECT_EQ(end("a", producer, true)->error_code, code(ErrorCode::ConcurrentTransactions));
  EXPECT_EQ(end("a", producer, false)->error_code, code(ErrorCode::InvalidTxnState));
  restart();
  settle();
  EXPECT_EQ(state_of("a"), "CompleteCommit");
}

TEST_F(TxnEndTest, MarkerWritesInFlightAreBounded) {
  config.max_inflight_marker_writes = 2;
  start();
  std::vector<ProducerIdAndEpoch> producers;
  for (const char* id : {"a", "b", "c"}) producers.push_back(ongoing(id));
  end("a", producers[0], true);
  end("b", producers[1], true);
  end("c", producers[2], false);
  store.complete_all();
  ASSERT_EQ(markers.pending.size(), 2u);
  EXPECT_EQ(markers.pending[0].marker.producer_id, producers[0].producer_id);
  EXPECT_EQ(markers.pending[1].marker.producer_id, producers[1].producer_id);
  markers.complete_next();
  ASSERT_EQ(markers.pending.size(), 2u);
  EXPECT_EQ(markers.pending[1].marker.producer_id, producers[2].producer_id);
  settle();
  EXPECT_EQ(state_of("a"), "CompleteCommit");
  EXPECT_EQ(state_of("b"), "CompleteCommit");
  EXPECT_EQ(state_of("c"), "CompleteAbort");
}

TEST_F(TxnEndTest, UnloadDropsTheMarkerWork) {
  start();
  const auto producer = ongoing("a");
  end("a", producer, true);
  store.complete_next();
  ASSERT_EQ(markers.pending.size(), 1u);
  coordinator->unload(kPartition);
  markers.complete_next();
  EXPECT_TRUE(store.pending.empty());
  EXPECT_EQ(describe("a").error_code, code(ErrorCode::NotCoordinator));
  EXPECT_FALSE(coordinator->next_deadline_ms());
}

}  // namespace
}  // namespace freshet::coordinator::testing
