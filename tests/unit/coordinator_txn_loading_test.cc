// Loading a __transaction_state partition: replay() of the records the
// coordinator wrote rebuilds the same transactions, and transactions caught
// between PrepareCommit/PrepareAbort and their completion are finished.
#include "coordinator_txn_test_harness.h"

namespace freshet::coordinator::testing {
namespace {

class TxnLoadingTest : public TxnCoordinatorTest {};

TEST_F(TxnLoadingTest, ReloadReproducesEveryTransaction) {
  config.transactional_id_expiration_ms = 1000;
  config.remove_expired_transactional_ids_interval_ms = 1000;
  start();
  initialized("gone");
  run_for(2000);
  settle();
  ASSERT_EQ(store.tombstoned_ids(), std::vector<std::string>{"gone"});
  initialized("empty");
  ongoing("open", {{"t", 0}, {"u", 2}});
  const auto committer = ongoing("committed");
  end("committed", committer, true);
  const auto aborter = ongoing("aborted");
  end("aborted", aborter, false);
  settle();

  const std::vector<std::string> ids = {"empty", "open", "committed", "aborted", "gone"};
  std::vector<protocol::DescribeTransactionsResponse::TransactionState> before;
  for (const auto& id : ids) before.push_back(describe(id));
  EXPECT_EQ(before[4].error_code, code(ErrorCode::TransactionalIdNotFound));
  restart();
  EXPECT_EQ(coordinator->skipped_records(), 0);
  for (size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(describe(ids[i]), before[i]) << ids[i];
  EXPECT_TRUE(markers.pending.empty());
  EXPECT_TRUE(store.pending.empty());
}

TEST_F(TxnLoadingTest, ACommitCutShortIsFinishedAfterARestart) {
  start();
  const auto producer = ongoing("a", {{"t", 0}, {"u", 1}});
  auto committed = end("a", producer, true);
  store.complete_next();
  ASSERT_EQ(committed->error_code, 0);
  markers.complete_next({{{"u", 1}, ErrorCode::RequestTimedOut}});  // t has its marker, u not yet
  restart(kCoordinatorEpoch + 1);
  EXPECT_EQ(state_of("a"), "PrepareCommit");
  ASSERT_EQ(markers.pending.size(), 1u);
  const TxnMarker& marker = markers.pending.front().marker;
  EXPECT_TRUE(marker.commit);
  EXPECT_EQ(marker.producer_id, producer.producer_id);
  EXPECT_EQ(marker.producer_epoch, producer.producer_epoch);
  EXPECT_EQ(marker.coordinator_epoch, kCoordinatorEpoch + 1);
  EXPECT_EQ(marker.partitions, (std::vector<TopicPartition>{{"t", 0}, {"u", 1}}));
  // Until it completes the producer retries.
  EXPECT_EQ(end("a", producer, true)->error_code, code(ErrorCode::ConcurrentTransactions));
  settle();
  EXPECT_EQ(state_of("a"), "CompleteCommit");
  EXPECT_EQ(end("a", producer, true)->error_code, 0);
}

TEST_F(TxnLoadingTest, AFenceCutShortIsFinishedAfterARestart) {
  start();
  const auto old_producer = ongoing("a", {{"t", 0}});
  auto fencing = init("a");
  store.complete_next();  // PrepareAbort under the bumped epoch
  ASSERT_EQ(fencing->error_code, code(ErrorCode::ConcurrentTransactions));
  restart();
  ASSERT_EQ(markers.pending.size(), 1u);
  EXPECT_FALSE(markers.pending.front().marker.commit);
  EXPECT_EQ(markers.pending.front().marker.producer_epoch, old_producer.producer_epoch + 1);
  settle();
  EXPECT_EQ(state_of("a"), "CompleteAbort");
  auto retried = init("a");
  settle();
  EXPECT_EQ(retried->error_code, 0);
  EXPECT_EQ(retried->producer_epoch, old_producer.producer_epoch + 2);
}

TEST_F(TxnLoadingTest, AnOngoingTransactionCarriesOnAfterARestart) {
  config.abort_timed_out_transactions_interval_ms = 1000;
  start();
  const auto producer = ongoing("a", {{"t", 0}});
  const int64_t started = now;
  now += 30000;
  restart();
  auto more = add("a", producer, {{"t", 1}});
  settle();
  EXPECT_EQ(error_of(*more), 0);
  EXPECT_EQ(describe("a").transaction_start_time_ms, started);
  // It still times out from its first start.
  run_for(kTimeoutMs - 30000 + 1000);
  settle();
  EXPECT_EQ(state_of("a"), "CompleteAbort");
}

TEST_F(TxnLoadingTest, LoadingRefusesRequestsAndSkipsWhatItCannotRead) {
  coordinator = std::make_unique<TransactionCoordinator>(config, store, producer_ids, markers);
  coordinator->begin_loading(kPartition, kCoordinatorEpoch);
  EXPECT_TRUE(coordinator->any_partition_loading());
  EXPECT_EQ(init("a")->error_code, code(ErrorCode::CoordinatorLoadInProgress));
  EXPECT_EQ(describe("a").error_code, code(ErrorCode::CoordinatorLoadInProgress));
  EXPECT_EQ(coordinator->list_transactions({}, now).error_code, code(ErrorCode::CoordinatorLoadInProgress));

  TxnImage image;
  image.producer_id = 5;
  image.producer_epoch = 3;
  image.timeout_ms = kTimeoutMs;
  image.last_update_timestamp_ms = now;
  const StoredRecord good = txn_record("a", image);
  const std::vector<uint8_t> garbage = {0, 0, 0, 9};
  const std::vector<uint8_t> unknown_key = {0, 5, 0, 1, 'x'};
  coordinator->replay(kPartition, garbage, std::span<const uint8_t>(*good.value));
  coordinator->replay(kPartition, unknown_key, std::nullopt);
  coordinator->replay(kPartition + 1, good.key, std::span<const uint8_t>(*good.value));  // not loading
  coordinator->replay(kPartition, good.key, std::span<const uint8_t>(*good.value));
  coordinator->finish_loading(kPartition, now);
  EXPECT_EQ(coordinator->skipped_records(), 3);
  EXPECT_FALSE(coordinator->any_partition_loading());
  EXPECT_EQ(describe("a").producer_epoch, 3);
  // A loaded transaction has no memory of earlier epochs: its next epoch follows on.
  auto again = init("a");
  settle();
  EXPECT_EQ(again->producer_id, 5);
  EXPECT_EQ(again->producer_epoch, 4);
}

TEST_F(TxnLoadingTest, TheLatestRecordWinsAndTombstonesRemove) {
  TxnImage first;
  first.producer_id = 5;
  first.producer_epoch = 0;
  first.timeout_ms = kTimeoutMs;
  first.last_update_timestamp_ms = now;
  TxnImage second = first;
  second.state = TxnState::kOngoing;
  second.partitions = {{"t", 0}};
  second.start_timestamp_ms = now;
  start_with({txn_record("a", first), txn_record("a", second), txn_record("b", first), txn_tombstone("b"),
              txn_tombstone("c")});
  EXPECT_EQ(state_of("a"), "Ongoing");
  EXPECT_EQ(describe("b").error_code, code(ErrorCode::TransactionalIdNotFound));
  EXPECT_EQ(coordinator->skipped_records(), 0);
}

}  // namespace
}  // namespace freshet::coordinator::testing
