// OffsetCommit / OffsetFetch / OffsetDelete and offsets retention.
#include "coordinator_test_harness.h"

namespace freshet::coordinator::testing {
namespace {

class OffsetsTest : public CoordinatorTest {
 protected:
  int16_t commit_error(const Answer<protocol::OffsetCommitResponse>& answer) {
    EXPECT_TRUE(answer.ready());
    return answer->topics.at(0).partitions.at(0).error_code;
  }
};

TEST_F(OffsetsTest, CommitIsVisibleAndAnsweredOnceDurable) {
  start();
  const std::string a = stable_single_member();
  auto committed = commit(commit_request(a, 1, {{"t", 42}}));
  EXPECT_FALSE(committed.ready());
  EXPECT_EQ(fetched_offset("t"), -1);  // not durable yet
  ASSERT_EQ(store.pending.size(), 1u);
  // Kafka's record: key v1 (group, topic, partition), value v3.
  const StoredRecord& record = store.pending.front().records.at(0);
  protocol::Reader key(record.key);
  EXPECT_EQ(key.i16(), 1);
  EXPECT_EQ(key.string(), "g");
  EXPECT_EQ(key.string(), "t");
  EXPECT_EQ(key.i32(), 0);
  protocol::Reader value(*record.value);
  EXPECT_EQ(value.i16(), 3);
  EXPECT_EQ(value.i64(), 42);
  EXPECT_EQ(value.i32(), -1);  // leader epoch
  EXPECT_EQ(value.string(), "meta");
  EXPECT_EQ(value.i64(), now);  // commit timestamp
  EXPECT_EQ(value.remaining(), 0u);

  store.complete_all();
  EXPECT_EQ(commit_error(committed), 0);
  EXPECT_EQ(fetched_offset("t"), 42);
  EXPECT_EQ(fetched_offset("other"), -1);
}

TEST_F(OffsetsTest, FailedWriteFailsEveryPartition) {
  start();
  const std::string a = stable_single_member();
  auto committed = commit(commit_request(a, 1, {{"t", 42}, {"u", 1}}));
  store.complete_next(ErrorCode::NotLeaderOrFollower);
  EXPECT_EQ(committed->topics.at(0).partitions.at(0).error_code, code(ErrorCode::NotCoordinator));
  EXPECT_EQ(committed->topics.at(1).partitions.at(0).error_code, code(ErrorCode::NotCoordinator));
  EXPECT_EQ(fetched_offset("t"), -1);
}

TEST_F(OffsetsTest, GenerationAndMemberChecks) {
  start();
  const std::string a = stable_single_member();
  EXPECT_EQ(commit_error(commit(commit_request(a, 2, {{"t", 1}}))), code(ErrorCode::IllegalGeneration));
  EXPECT_EQ(commit_error(commit(commit_request("x", 1, {{"t", 1}}))), code(ErrorCode::UnknownMemberId));
  // A simple commit while members use the group.
  EXPECT_EQ(commit_error(commit(commit_request("", -1, {{"t", 1}}))), code(ErrorCode::UnknownMemberId));
  // Unknown group with a generation: ILLEGAL_GENERATION, or GROUP_ID_NOT_FOUND from v9.
  EXPECT_EQ(commit_error(commit(commit_request(a, 1, {{"t", 1}}, "other"))), code(ErrorCode::IllegalGeneration));
  EXPECT_EQ(commit_error(commit(commit_request(a, 1, {{"t", 1}}, "other"), 9)), code(ErrorCode::GroupIdNotFound));

  // In CompletingRebalance the member has no assignment yet.
  const std::string b = get_member_id("b");
  auto join_b = join(join_request(b));
  auto join_a = join(join_request(a));
  ASSERT_TRUE(join_a.ready());
  EXPECT_EQ(commit_error(commit(commit_request(a, 2, {{"t", 1}}))), code(ErrorCode::RebalanceInProgress));
}

TEST_F(OffsetsTest, MetadataTooLarge) {
  config.offset_metadata_max_bytes = 3;
  start();
  auto request = commit_request("", -1, {{"t", 5}, {"u", 6}});
  // Kafka counts UTF-16 units: three "é" (six bytes) fit in 3.
  request.topics[1].partitions[0].committed_metadata = "\xC3\xA9\xC3\xA9\xC3\xA9";
  auto committed = commit(request);
  store.complete_all();
  EXPECT_EQ(committed->topics.at(0).partitions.at(0).error_code, code(ErrorCode::OffsetMetadataTooLarge));
  EXPECT_EQ(committed->topics.at(1).partitions.at(0).error_code, 0);
  EXPECT_EQ(fetched_offset("u"), 6);
  EXPECT_EQ(fetched_offset("t"), -1);
}

TEST_F(OffsetsTest, SimpleConsumerCommitCreatesAnEmptyGroup) {
  start();
  auto committed = commit(commit_request("", -1, {{"t", 7}}, "simple"), 2);
  store.complete_all();
  EXPECT_EQ(commit_error(committed), 0);
  EXPECT_EQ(fetched_offset("t", "simple"), 7);
  auto described = describe("simple");
  EXPECT_EQ(described.group_state, "Empty");
  EXPECT_EQ(described.protocol_type, "");
  auto listed = coordinator->list_groups({});
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].group_id, "simple");
}

TEST_F(OffsetsTest, FetchAllAndUnknownGroup) {
  start();
  auto request = commit_request("", -1, {{"t", 1}, {"u", 2}});
  request.topics[0].partitions.push_back(request.topics[0].partitions[0]);
  request.topics[0].partitions[1].partition_index = 3;
  request.topics[0].partitions[1].committed_leader_epoch = 9;
  commit(request);
  store.complete_all();

  protocol::OffsetFetchRequest::OffsetFetchRequestGroup all;
  all.group_id = "g";
  all.topics = std::nullopt;
  auto response = coordinator->fetch_offsets(ctx(8), kPartition, all, true);
  ASSERT_EQ(response.topics.size(), 2u);
  EXPECT_EQ(response.topics[0].name, "t");
  ASSERT_EQ(response.topics[0].partitions.size(), 2u);
  EXPECT_EQ(response.topics[0].partitions[1].partition_index, 3);
  EXPECT_EQ(response.topics[0].partitions[1].committed_leader_epoch, 9);
  EXPECT_EQ(response.topics[0].partitions[1].metadata, "meta");
  EXPECT_EQ(response.topics[1].partitions[0].committed_offset, 2);

  all.group_id = "unknown";
  EXPECT_TRUE(coordinator->fetch_offsets(ctx(8), kPartition, all, false).topics.empty());
  EXPECT_EQ(fetched_offset("t", "unknown"), -1);
  EXPECT_EQ(coordinator->fetch_offsets(ctx(8), kPartition + 1, all, false).error_code,
            code(ErrorCode::NotCoordinator));
}

TEST_F(OffsetsTest, CommitKeepsTheSessionAlive) {
  start();
  const std::string a = stable_single_member();
  for (int i = 0; i < 5; ++i) {
    run_for(kSessionMs / 2);
    commit(commit_request(a, 1, {{"t", i}}));
    store.complete_all();
  }
  EXPECT_EQ(heartbeat(a, 1), 0);
}

TEST_F(OffsetsTest, OffsetDelete) {
  start();
  const std::string a = stable_single_member();
  commit(commit_request(a, 1, {{"t", 1}, {"gone", 2}}));
  store.complete_all();

  protocol::OffsetDeleteRequest request;
  request.group_id = "g";
  request.topics.resize(2);
  request.topics[0].name = "t";
  request.topics[0].partitions.resize(1);
  request.topics[1].name = "gone";
  request.topics[1].partitions.resize(1);
  Answer<protocol::OffsetDeleteResponse> answer;
  coordinator->delete_offsets(ctx(0), kPartition, request, answer.callback());
  EXPECT_FALSE(answer.ready());
  store.complete_all();
  ASSERT_TRUE(answer.ready());
  EXPECT_EQ(answer->error_code, 0);
  EXPECT_EQ(answer->topics.at(0).partitions.at(0).error_code, code(ErrorCode::GroupSubscribedToTopic));
  EXPECT_EQ(answer->topics.at(1).partitions.at(0).error_code, 0);
  EXPECT_EQ(fetched_offset("t"), 1);
  EXPECT_EQ(fetched_offset("gone"), -1);
  EXPECT_FALSE(store.log.back().second.value.has_value());  // a tombstone

  request.group_id = "nope";
  Answer<protocol::OffsetDeleteResponse> missing;
  coordinator->delete_offsets(ctx(0), kPartition, request, missing.callback());
  EXPECT_EQ(missing->error_code, code(ErrorCode::GroupIdNotFound));
}

TEST_F(OffsetsTest, OffsetDeleteOfANonConsumerGroupWithMembers) {
  start();
  auto request = join_request("");
  request.protocol_type = "connect";
  auto joined = join(request, 3);
  run_for(10);
  sync(joined->member_id, 1, {});
  store.complete_all();
  protocol::OffsetDeleteRequest del;
  del.group_id = "g";
  Answer<protocol::OffsetDeleteResponse> answer;
  coordinator->delete_offsets(ctx(0), kPartition, del, answer.callback());
  EXPECT_EQ(answer->error_code, code(ErrorCode::NonEmptyGroup));
}

TEST_F(OffsetsTest, OffsetsOfAnEmptyGroupExpireAfterRetention) {
  config.offsets_retention_ms = 60000;
  config.offsets_retention_check_interval_ms = 10000;
  start();
  const std::string a = stable_single_member();
  commit(commit_request(a, 1, {{"t", 1}}));
  store.complete_all();
  // Stable and subscribed: never expires.
  for (int i = 0; i < 40; ++i) {
    run_for(5000);
    ASSERT_EQ(heartbeat(a, 1), 0);
  }
  EXPECT_EQ(fetched_offset("t"), 1);

  auto left = leave({identity(a)});
  store.complete_all();
  ASSERT_EQ(describe().group_state, "Empty");
  run_for(50000);
  store.complete_all();
  EXPECT_EQ(fetched_offset("t"), 1);
  run_for(20000);  // 60 s after it became Empty, at the next check
  ASSERT_EQ(store.pending.size(), 1u);
  ASSERT_EQ(store.pending.front().records.size(), 2u);  // the offset and the group
  EXPECT_EQ(describe().group_state, "Dead");
  store.complete_all();
  EXPECT_EQ(fetched_offset("t"), -1);
  EXPECT_TRUE(coordinator->list_groups({}).empty());
  EXPECT_EQ(describe().group_state, "Dead");
}

TEST_F(OffsetsTest, SimpleGroupOffsetsExpireAfterTheirCommit) {
  config.offsets_retention_ms = 60000;
  config.offsets_retention_check_interval_ms = 10000;
  start();
  commit(commit_request("", -1, {{"t", 1}}));
  store.complete_all();
  run_for(30000);
  commit(commit_request("", -1, {{"u", 2}}));
  store.complete_all();
  run_for(35000);  // t is 65 s old, u 35 s
  store.complete_all();
  EXPECT_EQ(fetched_offset("t"), -1);
  EXPECT_EQ(fetched_offset("u"), 2);
  EXPECT_EQ(describe().group_state, "Empty");
  run_for(30000);
  store.complete_all();
  EXPECT_EQ(fetched_offset("u"), -1);
  EXPECT_EQ(describe().group_state, "Dead");
}

TEST_F(OffsetsTest, ExplicitRetentionOfOldCommits) {
  config.offsets_retention_check_interval_ms = 1000;
  start();
  auto request = commit_request("", -1, {{"t", 1}});
  request.retention_time_ms = 5000;
  commit(request, 2);
  ASSERT_EQ(store.pending.size(), 1u);
  protocol::Reader value(*store.pending.front().records.at(0).value);
  EXPECT_EQ(value.i16(), 1);  // v1 carries the expire timestamp
  store.complete_all();
  run_for(6000);
  store.complete_all();
  EXPECT_EQ(fetched_offset("t"), -1);
}

}  // namespace
}  // namespace freshet::coordinator::testing
