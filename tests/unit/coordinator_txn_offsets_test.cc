// TxnOffsetCommit: offsets that wait for their transaction's end marker.
#include "coordinator_test_harness.h"

namespace freshet::coordinator::testing {
namespace {

constexpr int64_t kProducer = 4000;
constexpr int16_t kEpoch = 3;

class TxnOffsetsTest : public CoordinatorTest {
 protected:
  protocol::TxnOffsetCommitRequest txn_request(int64_t offset, int64_t producer_id = kProducer,
                                               const std::string& member_id = "", int32_t generation = -1) const {
    protocol::TxnOffsetCommitRequest r;
    r.transactional_id = "txn";
    r.group_id = "g";
    r.producer_id = producer_id;
    r.producer_epoch = kEpoch;
    r.generation_id = generation;
    r.member_id = member_id;
    r.group_instance_id = std::nullopt;
    auto& t = r.topics.emplace_back();
    t.name = "t";
    auto& p = t.partitions.emplace_back();
    p.partition_index = 0;
    p.committed_offset = offset;
    p.committed_metadata = "m";
    return r;
  }
  Answer<protocol::TxnOffsetCommitResponse> txn_commit(const protocol::TxnOffsetCommitRequest& r) {
    Answer<protocol::TxnOffsetCommitResponse> answer;
    coordinator->txn_commit_offsets(ctx(3), kPartition, r, 0, answer.callback());
    return answer;
  }
  int16_t error_of(const Answer<protocol::TxnOffsetCommitResponse>& answer) {
    EXPECT_TRUE(answer.ready());
    return answer->topics.at(0).partitions.at(0).error_code;
  }
  // OffsetFetch of t-0 with require_stable: (error, offset).
  std::pair<int16_t, int64_t> stable_fetch() {
    protocol::OffsetFetchRequest::OffsetFetchRequestGroup r;
    r.group_id = "g";
    r.member_id = std::nullopt;
    r.topics.emplace();
    auto& t = r.topics->emplace_back();
    t.name = "t";
    t.partition_indexes = {0};
    auto response = coordinator->fetch_offsets(ctx(8), kPartition, r, true);
    const auto& p = response.topics.at(0).partitions.at(0);
    return {p.error_code, p.committed_offset};
  }
};

TEST_F(TxnOffsetsTest, OffsetsTakeEffectOnlyWhenTheTransactionCommits) {
  start();
  auto answer = txn_commit(txn_request(10));
  ASSERT_EQ(store.pending.size(), 1u);
  ASSERT_TRUE(store.pending.front().producer.has_value());
  EXPECT_EQ(store.pending.front().producer->producer_id, kProducer);
  EXPECT_EQ(store.pending.front().producer->producer_epoch, kEpoch);
  store.complete_all();
  EXPECT_EQ(error_of(answer), 0);
  EXPECT_EQ(fetched_offset("t"), -1);
  EXPECT_EQ(stable_fetch().first, code(ErrorCode::UnstableOffsetCommit));

  coordinator->complete_transaction(kPartition, kProducer, true);
  EXPECT_EQ(fetched_offset("t"), 10);
  EXPECT_EQ(stable_fetch(), (std::pair<int16_t, int64_t>(0, 10)));
}

TEST_F(TxnOffsetsTest, AnAbortDropsTheOffsets) {
  start();
  txn_commit(txn_request(10));
  store.complete_all();
  coordinator->complete_transaction(kPartition, kProducer, false);
  EXPECT_EQ(fetched_offset("t"), -1);
  EXPECT_EQ(stable_fetch().first, 0);
  // The producer's next transaction starts clean.
  coordinator->complete_transaction(kPartition, kProducer, true);
  EXPECT_EQ(fetched_offset("t"), -1);
}

TEST_F(TxnOffsetsTest, ALaterPlainCommitIsNotReplacedByTheTransaction) {
  start();
  txn_commit(txn_request(10));
  store.complete_all();
  auto plain = commit(commit_request("", -1, {{"t", 20}}));
  store.complete_all();
  ASSERT_TRUE(plain.ready());
  coordinator->complete_transaction(kPartition, kProducer, true);
  EXPECT_EQ(fetched_offset("t"), 20);
}

TEST_F(TxnOffsetsTest, AFailedAppendForgetsTheOffsets) {
  start();
  auto answer = txn_commit(txn_request(10));
  store.complete_next(ErrorCode::InvalidProducerEpoch);
  EXPECT_EQ(error_of(answer), code(ErrorCode::InvalidProducerEpoch));
  coordinator->complete_transaction(kPartition, kProducer, true);
  EXPECT_EQ(fetched_offset("t"), -1);
}

TEST_F(TxnOffsetsTest, MembershipIsCheckedWhenTheRequestNamesAMember) {
  start();
  const std::string member = stable_single_member();
  // v0-2 style: no member, allowed even while the group has members.
  auto anonymous = txn_commit(txn_request(1));
  store.complete_all();
  EXPECT_EQ(error_of(anonymous), 0);
  EXPECT_EQ(error_of(txn_commit(txn_request(1, kProducer, member, 7))), code(ErrorCode::IllegalGeneration));
  EXPECT_EQ(error_of(txn_commit(txn_request(1, kProducer, "stranger", 1))), code(ErrorCode::UnknownMemberId));
  auto named = txn_commit(txn_request(1, kProducer, member, 1));
  store.complete_all();
  EXPECT_EQ(error_of(named), 0);
}

TEST_F(TxnOffsetsTest, ReplayKeepsOpenTransactionsPendingUntilTheirMarker) {
  start();
  txn_commit(txn_request(10));
  txn_commit(txn_request(30, kProducer + 1));
  store.complete_all();
  coordinator->complete_transaction(kPartition, kProducer + 1, true);
  ASSERT_EQ(fetched_offset("t"), 30);

  // A new coordinator replays the log: producer 1's offsets are committed
  // (its marker is in the log), producer 0's still wait.
  auto log = store.log;
  coordinator = std::make_unique<GroupCoordinator>(config, store);
  coordinator->begin_loading(kPartition);
  ASSERT_EQ(log.size(), 2u);
  coordinator->replay(kPartition, log[0].second.key, std::span<const uint8_t>(*log[0].second.value), now, kProducer);
  coordinator->replay(kPartition, log[1].second.key, std::span<const uint8_t>(*log[1].second.value), now,
                      kProducer + 1);
  coordinator->complete_transaction(kPartition, kProducer + 1, true);
  coordinator->finish_loading(kPartition, now);
  EXPECT_EQ(fetched_offset("t"), 30);
  EXPECT_EQ(stable_fetch().first, code(ErrorCode::UnstableOffsetCommit));
  // Producer 0 appended before producer 1's commit: its commit does not win.
  coordinator->complete_transaction(kPartition, kProducer, true);
  EXPECT_EQ(fetched_offset("t"), 30);
  EXPECT_EQ(stable_fetch().first, 0);
}

}  // namespace
}  // namespace freshet::coordinator::testing
