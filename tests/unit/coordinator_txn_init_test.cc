// InitProducerId for transactional ids: new ids, epoch bumps, fencing an
// ongoing transaction, KIP-360 recovery, epoch exhaustion, and the errors of
// each request version.
#include <limits>

#include "coordinator_txn_test_harness.h"

namespace freshet::coordinator::testing {
namespace {

class TxnInitTest : public TxnCoordinatorTest {};

TEST_F(TxnInitTest, NewIdGetsAFreshProducerIdAtEpochZeroOnceDurable) {
  start();
  auto answer = init("a");
  ASSERT_EQ(producer_ids.pending.size(), 1u);
  producer_ids.grant_next();
  EXPECT_FALSE(answer.ready());
  ASSERT_EQ(store.pending.size(), 1u);
  store.complete_next();
  ASSERT_TRUE(answer.ready());
  EXPECT_EQ(answer->error_code, 0);
  EXPECT_EQ(answer->producer_id, 1000);
  EXPECT_EQ(answer->producer_epoch, 0);
  EXPECT_EQ(store.logged_states(), std::vector<TxnState>{TxnState::kEmpty});
  EXPECT_EQ(state_of("a"), "Empty");
  EXPECT_EQ(describe("a").transaction_timeout_ms, kTimeoutMs);
}

TEST_F(TxnInitTest, ReinitBumpsTheEpochOfTheSameProducerId) {
  start();
  const auto first = initialized("a");
  auto again = init("a");
  EXPECT_TRUE(producer_ids.pending.empty());
  settle();
  EXPECT_EQ(again->error_code, 0);
  EXPECT_EQ(again->producer_id, first.producer_id);
  EXPECT_EQ(again->producer_epoch, 1);
}

TEST_F(TxnInitTest, ReinitAfterACommitBumpsTheEpoch) {
  start();
  const auto producer = ongoing("a");
  auto committed = end("a", producer, true);
  settle();
  ASSERT_EQ(committed->error_code, 0);
  ASSERT_EQ(state_of("a"), "CompleteCommit");
  auto again = init("a");
  settle();
  EXPECT_EQ(again->error_code, 0);
  EXPECT_EQ(again->producer_epoch, 1);
  EXPECT_EQ(state_of("a"), "Empty");
}

TEST_F(TxnInitTest, NewProducerFencesTheOngoingTransactionByAbortingItFirst) {
  start();
  const auto old_producer = ongoing("a", {{"t", 0}, {"u", 1}});
  auto fencing = init("a");
  ASSERT_EQ(store.pending.size(), 1u);  // PrepareAbort
  store.complete_next();
  ASSERT_TRUE(fencing.ready());
  EXPECT_EQ(fencing->error_code, code(ErrorCode::ConcurrentTransactions));
  EXPECT_EQ(fencing->producer_id, -1);
  EXPECT_EQ(state_of("a"), "PrepareAbort");
  EXPECT_EQ(describe("a").producer_epoch, 1);

  // The abort markers carry the bumped epoch and the coordinator epoch.
  ASSERT_EQ(markers.pending.size(), 1u);
  const TxnMarker& marker = markers.pending.front().marker;
  EXPECT_EQ(marker.producer_id, old_producer.producer_id);
  EXPECT_EQ(marker.producer_epoch, 1);
  EXPECT_EQ(marker.coordinator_epoch, kCoordinatorEpoch);
  EXPECT_FALSE(marker.commit);
  EXPECT_EQ(marker.partitions, (std::vector<TopicPartition>{{"t", 0}, {"u", 1}}));

  // Until the abort completes the new producer is told to retry.
  auto retry = init("a");
  EXPECT_EQ(retry->error_code, code(ErrorCode::ConcurrentTransactions));
  // The old producer is fenced already.
  auto old_commit = end("a", old_producer, true);
  EXPECT_EQ(old_commit->error_code, code(ErrorCode::ProducerFenced));
  auto old_commit_v1 = end("a", old_producer, true, 1);
  EXPECT_EQ(old_commit_v1->error_code, code(ErrorCode::InvalidProducerEpoch));

  settle();
  EXPECT_EQ(state_of("a"), "CompleteAbort");
  EXPECT_EQ(store.logged_states(), (std::vector<TxnState>{TxnState::kEmpty, TxnState::kOngoing,
                                                          TxnState::kPrepareAbort, TxnState::kCompleteAbort}));
  auto done = init("a");
  settle();
  EXPECT_EQ(done->error_code, 0);
  EXPECT_EQ(done->producer_id, old_producer.producer_id);
  EXPECT_EQ(done->producer_epoch, 2);
}

TEST_F(TxnInitTest, AFailedFenceWriteStillFencesAndIsNotBumpedTwice) {
  start();
  const auto old_producer = ongoing("a");
  auto fencing = init("a");
  store.complete_next(ErrorCode::NotEnoughReplicas);
  EXPECT_EQ(fencing->error_code, code(ErrorCode::CoordinatorNotAvailable));
  EXPECT_EQ(state_of("a"), "Ongoing");
  EXPECT_EQ(describe("a").producer_epoch, 1);
  auto old_add = add("a", old_producer, {{"t", 1}});
  EXPECT_EQ(error_of(*old_add), code(ErrorCode::ProducerFenced));

  auto again = init("a");
  store.complete_next();
  EXPECT_EQ(again->error_code, code(ErrorCode::ConcurrentTransactions));
  EXPECT_EQ(markers.pending.front().marker.producer_epoch, 1);
  settle();
  auto done = init("a");
  settle();
  EXPECT_EQ(done->producer_epoch, 2);
}

TEST_F(TxnInitTest, TransactionTimeoutMustBePositiveAndWithinTheMaximum) {
  config.max_timeout_ms = 900000;
  start();
  for (int32_t timeout_ms : {0, -1, 900001}) {
    auto answer = init("a", 4, std::nullopt, timeout_ms);
    EXPECT_EQ(answer->error_code, code(ErrorCode::InvalidTransactionTimeout)) << timeout_ms;
  }
  auto at_max = init("a", 4, std::nullopt, 900000);
  settle();
  EXPECT_EQ(at_max->error_code, 0);
}

TEST_F(TxnInitTest, MalformedRequestsAreInvalid) {
  start();
  EXPECT_EQ(init("")->error_code, code(ErrorCode::InvalidRequest));
  EXPECT_EQ(init("a", 4, ProducerIdAndEpoch{1000, -1})->error_code, code(ErrorCode::InvalidRequest));
  EXPECT_EQ(init("a", 4, ProducerIdAndEpoch{-1, 3})->error_code, code(ErrorCode::InvalidRequest));
  protocol::InitProducerIdRequest idempotent;
  idempotent.transactional_id = std::nullopt;
  idempotent.transaction_timeout_ms = kTimeoutMs;
  Answer<protocol::InitProducerIdResponse> answer;
  coordinator->init_producer_id(ctx(4), kPartition, idempotent, answer.callback());
  EXPECT_EQ(answer->error_code, code(ErrorCode::InvalidRequest));
  EXPECT_TRUE(producer_ids.pending.empty());
}

TEST_F(TxnInitTest, PartitionsNotOwnedOrLoadingAreRefused) {
  start();
  Answer<protocol::InitProducerIdResponse> elsewhere;
  protocol::InitProducerIdRequest r;
  r.transactional_id = "a";
  r.transaction_timeout_ms = kTimeoutMs;
  coordinator->init_producer_id(ctx(4), kPartition + 1, r, elsewhere.callback());
  EXPECT_EQ(elsewhere->error_code, code(ErrorCode::NotCoordinator));
  coordinator->begin_loading(kPartition, kCoordinatorEpoch + 1);
  EXPECT_EQ(init("a")->error_code, code(ErrorCode::CoordinatorLoadInProgress));
  EXPECT_TRUE(coordinator->any_partition_loading());
}

TEST_F(TxnInitTest, Kip360ProducerKeepsItsIdUnlessFenced) {
  start();
  const auto producer = initialized("a");
  // Its own id and epoch: bumped.
  auto recovered = init("a", 3, producer);
  settle();
  EXPECT_EQ(recovered->error_code, 0);
  EXPECT_EQ(recovered->producer_id, producer.producer_id);
  EXPECT_EQ(recovered->producer_epoch, 1);
  // The same call retried: the same answer, no bump.
  auto retried = init("a", 3, producer);
  settle();
  EXPECT_EQ(retried->producer_epoch, 1);
  // A stale epoch is fenced: PRODUCER_FENCED from v4, INVALID_PRODUCER_EPOCH before.
  EXPECT_EQ(init("a", 4, ProducerIdAndEpoch{producer.producer_id, 5})->error_code, code(ErrorCode::ProducerFenced));
  EXPECT_EQ(init("a", 3, ProducerIdAndEpoch{producer.producer_id, 5})->error_code,
            code(ErrorCode::InvalidProducerEpoch));
  // Another producer id is fenced.
  EXPECT_EQ(init("a", 4, ProducerIdAndEpoch{42, 1})->error_code, code(ErrorCode::ProducerFenced));
  EXPECT_TRUE(store.pending.empty());
}

TEST_F(TxnInitTest, Kip360ProducerOfAnUnknownIdGetsANewOne) {
  start();
  auto answer = init("fresh", 4, ProducerIdAndEpoch{42, 3});
  settle();
  EXPECT_EQ(answer->error_code, 0);
  EXPECT_EQ(answer->producer_id, 1000);
  EXPECT_EQ(answer->producer_epoch, 0);
}

TEST_F(TxnInitTest, ExhaustedEpochRotatesToANewProducerId) {
  TxnImage image;
  image.producer_id = 77;
  image.producer_epoch = std::numeric_limits<int16_t>::max() - 2;
  image.timeout_ms = kTimeoutMs;
  image.last_update_timestamp_ms = now;
  start_with({txn_record("a", image)});
  auto last_bump = init("a", 4, ProducerIdAndEpoch{77, image.producer_epoch});
  settle();
  ASSERT_EQ(last_bump->producer_id, 77);
  ASSERT_EQ(last_bump->producer_epoch, std::numeric_limits<int16_t>::max() - 1);

  auto rotated = init("a", 4, ProducerIdAndEpoch{77, last_bump->producer_epoch});
  ASSERT_EQ(producer_ids.pending.size(), 1u);
  // While the new id is on its way the transaction is busy.
  EXPECT_EQ(init("a")->error_code, code(ErrorCode::ConcurrentTransactions));
  settle();
  EXPECT_EQ(rotated->error_code, 0);
  EXPECT_EQ(rotated->producer_id, 1000);
  EXPECT_EQ(rotated->producer_epoch, 0);
  // A retry of the rotation by the producer that never heard back gets the same answer.
  auto retried = init("a", 4, ProducerIdAndEpoch{77, last_bump->producer_epoch});
  settle();
  EXPECT_EQ(retried->error_code, 0);
  EXPECT_EQ(retried->producer_id, 1000);
  EXPECT_EQ(retried->producer_epoch, 0);
}

TEST_F(TxnInitTest, ProducerIdSourceErrorsReachTheClient) {
  start();
  auto answer = init("a");
  producer_ids.fail_next(ErrorCode::CoordinatorLoadInProgress);
  EXPECT_EQ(answer->error_code, code(ErrorCode::CoordinatorLoadInProgress));
  EXPECT_EQ(describe("a").error_code, code(ErrorCode::TransactionalIdNotFound));
  auto retried = init("a");
  settle();
  EXPECT_EQ(retried->error_code, 0);
}

TEST_F(TxnInitTest, SecondInitOfANewIdWaitsForTheFirst) {
  start();
  auto first = init("a");
  auto second = init("a");
  EXPECT_EQ(second->error_code, code(ErrorCode::ConcurrentTransactions));
  EXPECT_EQ(producer_ids.pending.size(), 1u);
  producer_ids.grant_next();
  // Now the first one's record is being written.
  EXPECT_EQ(init("a")->error_code, code(ErrorCode::ConcurrentTransactions));
  settle();
  EXPECT_EQ(first->producer_epoch, 0);
}

TEST_F(TxnInitTest, StoreErrorsAreTranslatedAndLeaveTheTransactionAsItWas) {
  start();
  const auto producer = initialized("a");
  auto lost_leadership = init("a");
  store.complete_next(ErrorCode::NotLeaderOrFollower);
  EXPECT_EQ(lost_leadership->error_code, code(ErrorCode::NotCoordinator));
  auto too_big = init("a");
  store.complete_next(ErrorCode::MessageTooLarge);
  EXPECT_EQ(too_big->error_code, code(ErrorCode::UnknownServerError));
  EXPECT_EQ(describe("a").producer_epoch, producer.producer_epoch);
  auto retried = init("a");
  settle();
  EXPECT_EQ(retried->producer_epoch, producer.producer_epoch + 1);
}

TEST_F(TxnInitTest, UnloadWhileWaitingAnswersNotCoordinator) {
  start();
  auto waiting_for_id = init("a");
  coordinator->unload(kPartition);
  settle();
  EXPECT_EQ(waiting_for_id->error_code, code(ErrorCode::NotCoordinator));
  EXPECT_TRUE(store.log.empty());

  start();
  initialized("b");
  auto waiting_for_store = init("b");
  coordinator->begin_loading(kPartition, kCoordinatorEpoch + 1);  // reloaded elsewhere and back
  settle();
  EXPECT_EQ(waiting_for_store->error_code, code(ErrorCode::NotCoordinator));
}

TEST_F(TxnInitTest, WaitingRequestsAreBounded) {
  config.max_waiting_requests = 2;
  start();
  auto a = init("a");
  auto b = init("b");
  EXPECT_EQ(init("c")->error_code, code(ErrorCode::ConcurrentTransactions));
  settle();
  EXPECT_EQ(a->error_code, 0);
  EXPECT_EQ(b->error_code, 0);
  auto c = init("c");
  settle();
  EXPECT_EQ(c->error_code, 0);
}

}  // namespace
}  // namespace freshet::coordinator::testing
