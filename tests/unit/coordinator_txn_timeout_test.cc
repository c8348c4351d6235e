// The coordinator's clock: transactions open past their timeout are
// aborted under a bumped epoch; idle transactional ids expire.
#include "coordinator_txn_test_harness.h"

namespace freshet::coordinator::testing {
namespace {

class TxnTimeoutTest : public TxnCoordinatorTest {
 protected:
  TxnTimeoutTest() {
    config.abort_timed_out_transactions_interval_ms = 10000;
    config.transactional_id_expiration_ms = 3'600'000;
    config.remove_expired_transactional_ids_interval_ms = 60'000;
  }
};

TEST_F(TxnTimeoutTest, ChecksRunAtTheirIntervalsWhileAPartitionIsOwned) {
  coordinator = std::make_unique<TransactionCoordinator>(config, store, producer_ids, markers);
  EXPECT_FALSE(coordinator->next_deadline_ms());
  coordinator->begin_loading(kPartition, kCoordinatorEpoch);
  coordinator->finish_loading(kPartition, now);
  EXPECT_EQ(coordinator->next_deadline_ms(), now + 10000);
  run_for(10000);
  EXPECT_EQ(coordinator->next_deadline_ms(), now + 10000);
  coordinator->unload(kPartition);
  EXPECT_FALSE(coordinator->next_deadline_ms());
}

TEST_F(TxnTimeoutTest, ATransactionOpenPastItsTimeoutIsAbortedUnderABumpedEpoch) {
  start();
  const auto producer = ongoing("a", {{"t", 0}});
  run_for(kTimeoutMs);  // exactly the timeout: not yet
  EXPECT_EQ(state_of("a"), "Ongoing");
  EXPECT_TRUE(store.pending.empty());
  run_for(10000);
  ASSERT_EQ(store.pending.size(), 1u);
  store.complete_next();
  EXPECT_EQ(state_of("a"), "PrepareAbort");
  ASSERT_EQ(markers.pending.size(), 1u);
  EXPECT_FALSE(markers.pending.front().marker.commit);
  EXPECT_EQ(markers.pending.front().marker.producer_epoch, producer.producer_epoch + 1);
  settle();
  EXPECT_EQ(state_of("a"), "CompleteAbort");

  // The producer that let it time out is fenced, even with KIP-360.
  EXPECT_EQ(end("a", producer, true)->error_code, code(ErrorCode::ProducerFenced));
  EXPECT_EQ(init("a", 4, producer)->error_code, code(ErrorCode::ProducerFenced));
  auto fresh = init("a");
  settle();
  EXPECT_EQ(fresh->producer_epoch, producer.producer_epoch + 2);
}

TEST_F(TxnTimeoutTest, TheTimeoutCountsFromTheTransactionsStart) {
  start();
  const auto producer = ongoing("a", {{"t", 0}});
  run_for(kTimeoutMs - 5000);
  auto more = add("a", producer, {{"t", 1}});  // an update does not extend it
  settle();
  EXPECT_EQ(error_of(*more), 0);
  run_for(15000);  // the check after start + timeout
  settle();
  EXPECT_EQ(state_of("a"), "CompleteAbort");
}

TEST_F(TxnTimeoutTest, ABusyTransactionIsLeftToFinish) {
  start();
  const auto producer = ongoing("a", {{"t", 0}});
  run_for(kTimeoutMs - 1);
  auto committing = end("a", producer, true);  // PrepareCommit on its way when the check runs
  run_for(10000);
  EXPECT_EQ(store.pending.size(), 1u);
  settle();
  EXPECT_EQ(committing->error_code, 0);
  EXPECT_EQ(state_of("a"), "CompleteCommit");
}

TEST_F(TxnTimeoutTest, IdleTransactionalIdsExpireAsTombstones) {
  start();
  initialized("idle");
  // "open" times out and is aborted: CompleteAbort, updated later than "idle".
  const auto producer = ongoing("open", {{"t", 0}});
  run_for(3'600'000 - 60'000);
  initialized("recent");
  EXPECT_TRUE(store.pending.empty());
  run_for(60'000 + 60'000);
  settle();
  EXPECT_EQ(store.tombstoned_ids(), std::vector<std::string>{"idle"});
  EXPECT_EQ(describe("idle").error_code, code(ErrorCode::TransactionalIdNotFound));
  EXPECT_EQ(describe("recent").error_code, 0);
  EXPECT_EQ(describe("open").transaction_state, "CompleteAbort");
  EXPECT_EQ(describe("open").producer_id, producer.producer_id);

  // The id can start again, with a new producer id.
  auto again = init("idle");
  settle();
  EXPECT_EQ(again->error_code, 0);
  EXPECT_GT(again->producer_id, producer.producer_id);
}

TEST_F(TxnTimeoutTest, AnIdStaysWhileItsTombstoneIsWrittenAndIfItFails) {
  start();
  initialized("idle");
  run_for(3'600'000 + 60'000);
  ASSERT_EQ(store.pending.size(), 1u);
  EXPECT_FALSE(store.pending.front().records.at(0).value);
  EXPECT_EQ(describe("idle").transaction_state, "Empty");
  EXPECT_EQ(init("idle")->error_code, code(ErrorCode::ConcurrentTransactions));
  store.complete_next(ErrorCode::NotEnoughReplicas);
  EXPECT_EQ(describe("idle").transaction_state, "Empty");
  run_for(60'000);
  store.complete_next();
  EXPECT_EQ(describe("idle").error_code, code(ErrorCode::TransactionalIdNotFound));
}

}  // namespace
}  // namespace freshet::coordinator::testing
