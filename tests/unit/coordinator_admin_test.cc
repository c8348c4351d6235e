// DescribeGroups, ListGroups, DeleteGroups.
#include "coordinator_test_harness.h"

namespace freshet::coordinator::testing {
namespace {

class AdminTest : public CoordinatorTest {
 protected:
  Answer<protocol::DeleteGroupsResponse::DeletableGroupResult> delete_group(const std::string& group) {
    Answer<protocol::DeleteGroupsResponse::DeletableGroupResult> answer;
    coordinator->delete_group(ctx(2), kPartition, group, answer.callback());
    return answer;
  }
};

TEST_F(AdminTest, DescribeAStableGroup) {
  start();
  const std::string a = stable_single_member({4, 5});
  auto described = describe();
  EXPECT_EQ(described.error_code, 0);
  EXPECT_EQ(described.group_state, "Stable");
  EXPECT_EQ(described.protocol_type, "consumer");
  EXPECT_EQ(described.protocol_data, "range");
  ASSERT_EQ(described.members.size(), 1u);
  EXPECT_EQ(described.members[0].member_id, a);
  EXPECT_EQ(described.members[0].client_id, "client");
  EXPECT_EQ(described.members[0].client_host, "/127.0.0.1");
  EXPECT_EQ(described.members[0].group_instance_id, std::nullopt);
  EXPECT_EQ(described.members[0].member_metadata, subscription({"t"}));
  EXPECT_EQ(described.members[0].member_assignment, (std::vector<uint8_t>{4, 5}));
}

TEST_F(AdminTest, DescribeOtherStatesHidesProtocolAndMetadata) {
  start();
  const std::string a = get_member_id();
  auto joined = join(join_request(a));
  run_for(10);
  auto described = describe();
  EXPECT_EQ(described.group_state, "CompletingRebalance");
  EXPECT_EQ(described.protocol_data, "");
  ASSERT_EQ(described.members.size(), 1u);
  EXPECT_TRUE(described.members[0].member_metadata.empty());
}

TEST_F(AdminTest, DescribeUnknownGroupAndPartitions) {
  start();
  auto unknown = describe("nobody");
  EXPECT_EQ(unknown.error_code, 0);
  EXPECT_EQ(unknown.group_id, "nobody");
  EXPECT_EQ(unknown.group_state, "Dead");
  EXPECT_TRUE(unknown.members.empty());
  EXPECT_EQ(coordinator->describe_group(ctx(5), kPartition + 1, "g").error_code, code(ErrorCode::NotCoordinator));
  coordinator->begin_loading(kPartition + 1);
  EXPECT_EQ(coordinator->describe_group(ctx(5), kPartition + 1, "g").error_code,
            code(ErrorCode::CoordinatorLoadInProgress));
}

TEST_F(AdminTest, ListWithStateFilter) {
  start();
  stable_single_member();
  commit(commit_request("", -1, {{"t", 1}}, "simple"));
  store.complete_all();
  auto all = coordinator->list_groups({});
  ASSERT_EQ(all.size(), 2u);
  for (const auto& g : all) {
    EXPECT_EQ(g.group_type, "classic");
    if (g.group_id == "g") {
      EXPECT_EQ(g.group_state, "Stable");
      EXPECT_EQ(g.protocol_type, "consumer");
    }
  }
  auto stable = coordinator->list_groups({"STABLE"});
  ASSERT_EQ(stable.size(), 1u);
  EXPECT_EQ(stable[0].group_id, "g");
  auto empty = coordinator->list_groups({" empty "});
  ASSERT_EQ(empty.size(), 1u);
  EXPECT_EQ(empty[0].group_id, "simple");
  EXPECT_TRUE(coordinator->list_groups({"bogus"}).empty());
}

TEST_F(AdminTest, DeleteGroup) {
  start();
  const std::string a = stable_single_member();
  commit(commit_request(a, 1, {{"t", 1}, {"u", 2}}));
  store.complete_all();

  EXPECT_EQ(delete_group("g")->error_code, code(ErrorCode::NonEmptyGroup));
  EXPECT_EQ(delete_group("nobody")->error_code, code(ErrorCode::GroupIdNotFound));

  leave({identity(a)});
  store.complete_all();
  const size_t log_before = store.log.size();
  auto deleted = delete_group("g");
  EXPECT_FALSE(deleted.ready());
  // Until durable the group is Dead and turns requests away.
  EXPECT_EQ(join(join_request(""))->error_code, code(ErrorCode::CoordinatorNotAvailable));
  store.complete_all();
  ASSERT_TRUE(deleted.ready());
  EXPECT_EQ(deleted->error_code, 0);
  EXPECT_EQ(deleted->group_id, "g");
  // Tombstones for both offsets, then for the group.
  ASSERT_EQ(store.log.size(), log_before + 3);
  for (size_t i = log_before; i < store.log.size(); ++i) EXPECT_FALSE(store.log[i].second.value.has_value());
  protocol::Reader last_key(store.log.back().second.key);
  EXPECT_EQ(last_key.i16(), 2);
  EXPECT_EQ(fetched_offset("t"), -1);
  EXPECT_EQ(describe().group_state, "Dead");
  EXPECT_TRUE(coordinator->list_groups({}).empty());
  // The id can be used again.
  auto again = join(join_request(""), 3);
  run_for(10);
  EXPECT_EQ(again->error_code, 0);
  EXPECT_EQ(again->generation_id, 1);
}

TEST_F(AdminTest, FailedDeleteRevivesTheGroup) {
  start();
  commit(commit_request("", -1, {{"t", 1}}));
  store.complete_all();
  auto deleted = delete_group("g");
  store.complete_next(ErrorCode::KafkaStorageError);
  EXPECT_EQ(deleted->error_code, code(ErrorCode::NotCoordinator));
  EXPECT_EQ(describe().group_state, "Empty");
  EXPECT_EQ(fetched_offset("t"), 1);
}

TEST_F(AdminTest, DeleteIncludesCommitsStillInFlight) {
  start();
  auto in_flight = commit(commit_request("", -1, {{"t", 1}}));
  auto deleted = delete_group("g");
  store.complete_all();
  EXPECT_EQ(in_flight->topics.at(0).partitions.at(0).error_code, 0);
  EXPECT_EQ(deleted->error_code, 0);
  EXPECT_EQ(fetched_offset("t"), -1);
}

}  // namespace
}  // namespace freshet::coordinator::testing
