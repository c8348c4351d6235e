// DescribeTransactions and ListTransactions with their filters.
#include <algorithm>

#include "coordinator_txn_test_harness.h"

namespace freshet::coordinator::testing {
namespace {

class TxnAdminTest : public TxnCoordinatorTest {
 protected:
  // ids listed for `request`, sorted.
  std::vector<std::string> listed(const protocol::ListTransactionsRequest& request) const {
    const auto response = coordinator->list_transactions(request, now);
    EXPECT_EQ(response.error_code, 0);
    std::vector<std::string> ids;
    for (const auto& state : response.transaction_states) ids.push_back(state.transactional_id);
    std::sort(ids.begin(), ids.end());
    return ids;
  }
  static protocol::ListTransactionsRequest by_states(std::vector<std::string> states) {
    protocol::ListTransactionsRequest request;
    request.state_filters = std::move(states);
    return request;
  }
};

TEST_F(TxnAdminTest, DescribeShowsTheTransaction) {
  start();
  const auto producer = initialized("a");
  now += 100;
  auto added = add("a", producer, {{"u", 1}, {"t", 2}, {"t", 0}});
  settle();
  const auto described = describe("a");
  EXPECT_EQ(described.error_code, 0);
  EXPECT_EQ(described.transactional_id, "a");
  EXPECT_EQ(described.transaction_state, "Ongoing");
  EXPECT_EQ(described.transaction_timeout_ms, kTimeoutMs);
  EXPECT_EQ(described.transaction_start_time_ms, now);
  EXPECT_EQ(described.producer_id, producer.producer_id);
  EXPECT_EQ(described.producer_epoch, producer.producer_epoch);
  ASSERT_EQ(described.topics.size(), 2u);
  EXPECT_EQ(described.topics[0].topic, "t");
  EXPECT_EQ(described.topics[0].partitions, (std::vector<int32_t>{0, 2}));
  EXPECT_EQ(described.topics[1].topic, "u");
  EXPECT_EQ(described.topics[1].partitions, std::vector<int32_t>{1});
  EXPECT_EQ(describe("b").error_code, code(ErrorCode::TransactionalIdNotFound));
  EXPECT_EQ(describe("b").transactional_id, "b");
  EXPECT_EQ(describe("").error_code, code(ErrorCode::InvalidRequest));
  EXPECT_EQ(coordinator->describe_transaction(kPartition + 1, "a").error_code, code(ErrorCode::NotCoordinator));
}

TEST_F(TxnAdminTest, ListFiltersByStateAndProducerId) {
  start();
  initialized("empty");
  const auto open = ongoing("open");
  const auto done = ongoing("done");
  end("done", done, true);
  settle();
  EXPECT_EQ(listed({}), (std::vector<std::string>{"done", "empty", "open"}));
  EXPECT_EQ(listed(by_states({"Ongoing"})), std::vector<std::string>{"open"});
  EXPECT_EQ(listed(by_states({"Ongoing", "CompleteCommit"})), (std::vector<std::string>{"done", "open"}));
  protocol::ListTransactionsRequest by_producer;
  by_producer.producer_id_filters = {open.producer_id, 999999};
  EXPECT_EQ(listed(by_producer), std::vector<std::string>{"open"});
  by_producer.state_filters = {"Empty"};
  EXPECT_TRUE(listed(by_producer).empty());

  // Unknown names are echoed; with only unknown names nothing matches.
  const auto response = coordinator->list_transactions(by_states({"ongoing", "Bogus", "PrepareEpochFence"}), now);
  EXPECT_EQ(response.unknown_state_filters, (std::vector<std::string>{"ongoing", "Bogus"}));
  EXPECT_TRUE(response.transaction_states.empty());

  const auto full = coordinator->list_transactions({}, now);
  for (const auto& state : full.transaction_states) {
    if (state.transactional_id == "done") {
      EXPECT_EQ(state.transaction_state, "CompleteCommit");
      EXPECT_EQ(state.producer_id, done.producer_id);
    }
  }
}

TEST_F(TxnAdminTest, ListDurationFilterKeepsTransactionsOpenLongerThanIt) {
  start();
  ongoing("old");
  now += 5000;
  ongoing("young");
  now += 1000;
  initialized("empty");  // no start time: Kafka counts it as open since forever
  protocol::ListTransactionsRequest request;
  request.duration_filter = 2000;
  EXPECT_EQ(listed(request), (std::vector<std::string>{"empty", "old"}));
  request.duration_filter = 6000;  // "old" has been open exactly 6000 ms
  EXPECT_EQ(listed(request), std::vector<std::string>{"empty"});
  request.duration_filter = -1;
  EXPECT_EQ(listed(request).size(), 3u);
}

TEST_F(TxnAdminTest, ListCoversEveryLoadedPartition) {
  start();
  initialized("a");
  coordinator->begin_loading(kPartition + 1, 1);
  TxnImage image;
  image.producer_id = 5;
  image.producer_epoch = 0;
  image.timeout_ms = kTimeoutMs;
  const StoredRecord record = txn_record("b", image);
  coordinator->replay(kPartition + 1, record.key, std::span<const uint8_t>(*record.value));
  EXPECT_EQ(coordinator->list_transactions({}, now).error_code, code(ErrorCode::CoordinatorLoadInProgress));
  coordinator->finish_loading(kPartition + 1, now);
  EXPECT_EQ(listed({}), (std::vector<std::string>{"a", "b"}));
  coordinator->unload(kPartition);
  EXPECT_EQ(listed({}), std::vector<std::string>{"b"});
}

}  // namespace
}  // namespace freshet::coordinator::testing
