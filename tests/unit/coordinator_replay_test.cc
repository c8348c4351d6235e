// Loading a __consumer_offsets partition: replay() of the records the
// coordinator wrote rebuilds the same groups and offsets.
#include "coordinator_test_harness.h"

namespace freshet::coordinator::testing {
namespace {

class ReplayTest : public CoordinatorTest {
 protected:
  // A second coordinator loaded from everything `store` holds.
  std::unique_ptr<GroupCoordinator> reload() {
    auto fresh = std::make_unique<GroupCoordinator>(config, reloaded_store);
    fresh->begin_loading(kPartition);
    for (const auto& [partition, record] : store.log) {
      if (partition != kPartition) continue;
      std::optional<std::span<const uint8_t>> value;
      if (record.value) value = std::span<const uint8_t>(*record.value);
      fresh->replay(kPartition, record.key, value, now);
    }
    fresh->finish_loading(kPartition, now);
    return fresh;
  }
  MemoryStore reloaded_store;
};

TEST_F(ReplayTest, ReloadReproducesGroupsAndOffsets) {
  start();
  // g: a static leader and a dynamic member, Stable at generation 1, with offsets.
  auto join_static = join(join_request("", "i1"), 9);
  const std::string dynamic = get_member_id("dyn");
  auto join_dynamic = join(join_request(dynamic), 9);
  run_for(10);
  const std::string leader = join_static->member_id;
  sync(dynamic, 1);
  sync(leader, 1, {{leader, {1}}, {dynamic, {2}}}, "i1");
  store.complete_all();
  auto committed_g = commit(commit_request(leader, 1, {{"t", 10}, {"u", 20}}));
  // s: a simple group; d: deleted; an offset of g deleted.
  commit(commit_request("", -1, {{"t", 5}}, "s"));
  commit(commit_request("", -1, {{"t", 6}}, "d"));
  store.complete_all();
  ASSERT_EQ(committed_g->topics.at(0).partitions.at(0).error_code, 0);
  Answer<protocol::DeleteGroupsResponse::DeletableGroupResult> deleted;
  coordinator->delete_group(ctx(2), kPartition, "d", deleted.callback());
  protocol::OffsetDeleteRequest offset_delete;
  offset_delete.group_id = "g";
  offset_delete.topics.resize(1);
  offset_delete.topics[0].name = "u";
  offset_delete.topics[0].partitions.resize(1);
  Answer<protocol::OffsetDeleteResponse> offset_deleted;
  coordinator->delete_offsets(ctx(0), kPartition, offset_delete, offset_deleted.callback());
  store.complete_all();
  ASSERT_EQ(offset_deleted->topics.at(0).partitions.at(0).error_code, 0);  // g does not read u

  const auto before = describe();
  coordinator = reload();
  EXPECT_EQ(coordinator->skipped_records(), 0);
  const auto after = describe();
  EXPECT_EQ(after, before);
  EXPECT_EQ(after.group_state, "Stable");
  EXPECT_EQ(fetched_offset("t"), 10);
  EXPECT_EQ(fetched_offset("u"), -1);
  EXPECT_EQ(fetched_offset("t", "s"), 5);
  EXPECT_EQ(fetched_offset("t", "d"), -1);
  EXPECT_EQ(describe("d").group_state, "Dead");
  EXPECT_EQ(coordinator->list_groups({}).size(), 2u);

  // The members carry on without a rebalance: same generation, same
  // assignment, the static member still fenced by its instance id.
  EXPECT_EQ(heartbeat(leader, 1, "i1"), 0);
  EXPECT_EQ(heartbeat(dynamic, 1), 0);
  EXPECT_EQ(heartbeat("i1-old", 1, "i1"), code(ErrorCode::FencedInstanceId));
  auto synced = sync(dynamic, 1);
  EXPECT_EQ(synced->assignment, std::vector<uint8_t>{2});
  auto committed = commit(commit_request(dynamic, 1, {{"t", 11}}));
  reloaded_store.complete_all();
  EXPECT_EQ(committed->topics.at(0).partitions.at(0).error_code, 0);

  // A member that does not come back expires after its session timeout.
  run_for(kSessionMs / 2);
  EXPECT_EQ(heartbeat(dynamic, 1), 0);
  run_for(kSessionMs / 2 + 1);
  EXPECT_EQ(heartbeat(dynamic, 1), code(ErrorCode::RebalanceInProgress));
}

TEST_F(ReplayTest, EmptyGroupKeepsItsProtocolTypeAndStateTime) {
  start();
  const std::string a = stable_single_member();
  commit(commit_request(a, 1, {{"t", 3}}));
  store.complete_all();
  leave({identity(a)});
  store.complete_all();
  coordinator = reload();
  auto described = describe();
  EXPECT_EQ(described.group_state, "Empty");
  EXPECT_EQ(described.protocol_type, "consumer");
  EXPECT_EQ(fetched_offset("t"), 3);
}

TEST_F(ReplayTest, LatestRecordWins) {
  start();
  commit(commit_request("", -1, {{"t", 1}}));
  commit(commit_request("", -1, {{"t", 2}}));
  store.complete_all();
  coordinator = reload();
  EXPECT_EQ(fetched_offset("t"), 2);
}

TEST_F(ReplayTest, OldRecordVersionsLoad) {
  start();
  // OffsetCommitKey v0 + OffsetCommitValue v0; GroupMetadataValue v0.
  protocol::OffsetCommitKey key;
  key.group = "old";
  key.topic = "t";
  key.partition = 2;
  protocol::Writer k;
  k.i16(0);
  key.encode(k, 0);
  protocol::OffsetCommitValue value;
  value.offset = 77;
  value.metadata = "m";
  value.commit_timestamp = 123;
  protocol::Writer v;
  v.i16(0);
  value.encode(v, 0);
  store.log.push_back({kPartition, StoredRecord{k.take(), v.take()}});

  protocol::GroupMetadataKey group_key;
  group_key.group = "old";
  protocol::Writer gk;
  gk.i16(2);
  group_key.encode(gk, 2);
  protocol::GroupMetadataValue group_value;
  group_value.protocol_type = "consumer";
  group_value.generation = 4;
  group_value.protocol = "range";
  group_value.leader = "m1";
  auto& member = group_value.members.emplace_back();
  member.member_id = "m1";
  member.client_id = "c";
  member.client_host = "/h";
  member.session_timeout = 10000;
  member.subscription = subscription({"t"});
  member.assignment = {1};
  protocol::Writer gv;
  gv.i16(0);
  group_value.encode(gv, 0);
  store.log.push_back({kPartition, StoredRecord{gk.take(), gv.take()}});

  coordinator = reload();
  EXPECT_EQ(coordinator->skipped_records(), 0);
  auto described = describe("old");
  EXPECT_EQ(described.group_state, "Stable");
  ASSERT_EQ(described.members.size(), 1u);
  EXPECT_EQ(described.members[0].member_assignment, std::vector<uint8_t>{1});
  EXPECT_EQ(heartbeat("m1", 4, std::nullopt, "old"), 0);
}

TEST_F(ReplayTest, AGenerationAtIntMaxWrapsAsJavasIntDoes) {
  start();
  protocol::GroupMetadataKey group_key;
  group_key.group = "g";
  protocol::Writer gk;
  gk.i16(2);
  group_key.encode(gk, 2);
  protocol::GroupMetadataValue group_value;
  group_value.protocol_type = "consumer";
  group_value.generation = INT32_MAX;
  group_value.protocol = "range";
  group_value.leader = "m1";
  auto& member = group_value.members.emplace_back();
  member.member_id = "m1";
  member.client_id = "c";
  member.client_host = "/h";
  member.session_timeout = kSessionMs;
  member.rebalance_timeout = kRebalanceMs;
  member.subscription = subscription({"t"});
  protocol::Writer gv;
  gv.i16(3);
  group_value.encode(gv, 3);
  store.log.push_back({kPartition, StoredRecord{gk.take(), gv.take()}});
  coordinator = reload();

  // The member rejoins: the next generation is Integer.MIN_VALUE, as in Kafka.
  auto joined = join(join_request("m1"));
  run_for(10);
  ASSERT_TRUE(joined.ready());
  EXPECT_EQ(joined->error_code, 0);
  EXPECT_EQ(joined->generation_id, INT32_MIN);
}

TEST_F(ReplayTest, BadRecordsAreSkippedAndCounted) {
  config.initial_rebalance_delay_ms = 0;
  coordinator = std::make_unique<GroupCoordinator>(config, store);
  coordinator->begin_loading(kPartition);
  const std::vector<uint8_t> garbage = {0x00};
  const std::vector<uint8_t> truncated_offset_key = {0x00, 0x01, 0x00, 0x05, 'a'};
  const std::vector<uint8_t> other_coordinator_key = {0x00, 0x03, 0x00, 0x00};
  const std::vector<uint8_t> value = {0x00, 0x03, 0x01};
  coordinator->replay(kPartition, garbage, std::span<const uint8_t>(value), now);
  coordinator->replay(kPartition, truncated_offset_key, std::nullopt, now);
  coordinator->replay(kPartition, other_coordinator_key, std::span<const uint8_t>(value), now);
  coordinator->replay(kPartition + 1, other_coordinator_key, std::nullopt, now);  // not loading
  coordinator->finish_loading(kPartition, now);
  EXPECT_EQ(coordinator->skipped_records(), 4);
  EXPECT_TRUE(coordinator->list_groups({}).empty());
}

}  // namespace
}  // namespace freshet::coordinator::testing
