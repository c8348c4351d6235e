// JoinGroup / SyncGroup / Heartbeat / LeaveGroup of the classic protocol.
#include "coordinator_test_harness.h"

namespace freshet::coordinator::testing {
namespace {

class MembershipTest : public CoordinatorTest {};

TEST_F(MembershipTest, TwoMembersJoinWithKip394AndGetOneGeneration) {
  config.initial_rebalance_delay_ms = 3000;
  start();
  const std::string a = get_member_id("client-a");
  const std::string b = get_member_id("client-b");
  EXPECT_EQ(a.rfind("client-a-", 0), 0u);
  EXPECT_EQ(a.size(), std::string("client-a-").size() + 36);
  EXPECT_NE(a, b);

  auto join_a = join(join_request(a), 7, "client-a");
  auto join_b = join(join_request(b), 7, "client-b");
  EXPECT_FALSE(join_a.ready());  // the initial delay holds the join phase
  EXPECT_EQ(describe().group_state, "PreparingRebalance");
  run_for(3000);
  EXPECT_FALSE(join_a.ready());  // b joined meanwhile: one more delay
  run_for(3000);
  ASSERT_TRUE(join_a.ready());
  ASSERT_TRUE(join_b.ready());
  EXPECT_EQ(join_a->error_code, 0);
  EXPECT_EQ(join_a->generation_id, 1);
  EXPECT_EQ(join_b->generation_id, 1);
  EXPECT_EQ(join_a->protocol_name, "range");
  EXPECT_EQ(join_a->protocol_type, "consumer");
  EXPECT_EQ(join_a->leader, a);
  EXPECT_EQ(join_b->leader, a);
  ASSERT_EQ(join_a->members.size(), 2u);  // the leader sees every member
  EXPECT_EQ(join_a->members[0].metadata, subscription({"t"}));
  EXPECT_TRUE(join_b->members.empty());
  EXPECT_EQ(describe().group_state, "CompletingRebalance");
}

TEST_F(MembershipTest, PendingMemberExpiresAfterItsSessionTimeout) {
  start();
  const std::string id = get_member_id();
  run_for(kSessionMs + 1);
  auto late = join(join_request(id));
  ASSERT_TRUE(late.ready());
  EXPECT_EQ(late->error_code, code(ErrorCode::UnknownMemberId));
}

TEST_F(MembershipTest, OldVersionsJoinWithoutMemberIdRequired) {
  start();
  auto joined = join(join_request(""), 3);
  run_for(10);
  ASSERT_TRUE(joined.ready());
  EXPECT_EQ(joined->error_code, 0);
  EXPECT_EQ(joined->generation_id, 1);
  EXPECT_EQ(joined->leader, joined->member_id);
}

TEST_F(MembershipTest, InitialDelayExtendsWithEachJoinWithinTheRebalanceTimeout) {
  config.initial_rebalance_delay_ms = 3000;
  start();
  auto request = join_request("");
  request.rebalance_timeout_ms = 7000;
  auto first = join(request, 3);  // t=0: delay until 3000, 4000 left
  run_for(2000);
  auto second = join(request, 3);  // a new member extends the delay
  run_for(1000);                   // t=3000: extended by min(3000, 4000)
  EXPECT_FALSE(first.ready());
  run_for(2999);
  EXPECT_FALSE(first.ready());
  run_for(10);  // t=6000
  ASSERT_TRUE(first.ready());
  ASSERT_TRUE(second.ready());
  EXPECT_EQ(first->generation_id, 1);
}

TEST_F(MembershipTest, InitialDelayEndsAtTheRebalanceTimeout) {
  config.initial_rebalance_delay_ms = 3000;
  start();
  auto request = join_request("");
  request.rebalance_timeout_ms = 4000;
  auto first = join(request, 3);  // delay 3000, 1000 left
  run_for(2500);
  auto second = join(request, 3);
  run_for(500);  // t=3000: extend by min(3000, 1000)
  EXPECT_FALSE(first.ready());
  run_for(1000);  // t=4000
  EXPECT_TRUE(first.ready());
  EXPECT_TRUE(second.ready());
}

TEST_F(MembershipTest, SyncPersistsTheAssignmentBeforeAnsweringAnyone) {
  start();
  const std::string a = get_member_id("a");
  const std::string b = get_member_id("b");
  auto join_a = join(join_request(a));
  auto join_b = join(join_request(b));
  run_for(10);
  const std::string leader = join_a->leader;
  const std::string follower = leader == a ? b : a;
  const int32_t generation = join_a->generation_id;

  auto follower_sync = sync(follower, generation);
  EXPECT_FALSE(follower_sync.ready());  // waits for the leader
  auto leader_sync = sync(leader, generation, {{leader, {1}}, {follower, {2}}});
  EXPECT_FALSE(leader_sync.ready());  // waits for the store
  ASSERT_EQ(store.pending.size(), 1u);
  // The record is Kafka's GroupMetadataValue v3 with both assignments.
  const StoredRecord& record = store.pending.front().records.at(0);
  protocol::Reader reader(*record.value);
  EXPECT_EQ(reader.i16(), 3);
  protocol::GroupMetadataValue value;
  value.decode(reader, 3);
  EXPECT_EQ(value.generation, generation);
  EXPECT_EQ(value.protocol, "range");
  EXPECT_EQ(value.leader, leader);
  ASSERT_EQ(value.members.size(), 2u);
  for (const auto& m : value.members) {
    EXPECT_EQ(m.assignment, m.member_id == leader ? std::vector<uint8_t>{1} : std::vector<uint8_t>{2});
    EXPECT_EQ(m.subscription, subscription({"t"}));
    EXPECT_EQ(m.session_timeout, kSessionMs);
  }
  store.complete_all();
  ASSERT_TRUE(leader_sync.ready());
  ASSERT_TRUE(follower_sync.ready());
  EXPECT_EQ(leader_sync->assignment, std::vector<uint8_t>{1});
  EXPECT_EQ(follower_sync->assignment, std::vector<uint8_t>{2});
  EXPECT_EQ(follower_sync->protocol_name, "range");
  EXPECT_EQ(describe().group_state, "Stable");
  // In Stable a repeated SyncGroup just returns the assignment.
  auto again = sync(follower, generation);
  ASSERT_TRUE(again.ready());
  EXPECT_EQ(again->assignment, std::vector<uint8_t>{2});
}

TEST_F(MembershipTest, FailedAssignmentWriteFailsTheSyncAndRebalances) {
  start();
  const std::string a = get_member_id();
  auto joined = join(join_request(a));
  run_for(10);
  auto synced = sync(a, joined->generation_id, {{a, {1}}});
  store.complete_next(ErrorCode::NotLeaderOrFollower);
  ASSERT_TRUE(synced.ready());
  EXPECT_EQ(synced->error_code, code(ErrorCode::NotCoordinator));
  EXPECT_EQ(describe().group_state, "PreparingRebalance");
}

TEST_F(MembershipTest, SyncErrors) {
  start();
  const std::string a = stable_single_member();
  EXPECT_EQ(sync(a, 1, {}, std::nullopt, 5, "nope")->error_code, code(ErrorCode::UnknownMemberId));
  EXPECT_EQ(sync("who", 1)->error_code, code(ErrorCode::UnknownMemberId));
  EXPECT_EQ(sync(a, 7)->error_code, code(ErrorCode::IllegalGeneration));
  protocol::SyncGroupRequest missing_protocol;
  missing_protocol.group_id = "g";
  missing_protocol.generation_id = 1;
  missing_protocol.member_id = a;
  Answer<protocol::SyncGroupResponse> answer;
  coordinator->sync_group(ctx(5), kPartition, missing_protocol, answer.callback());
  EXPECT_EQ(answer->error_code, code(ErrorCode::InconsistentGroupProtocol));
  missing_protocol.protocol_type = "consumer";
  missing_protocol.protocol_name = "roundrobin";
  Answer<protocol::SyncGroupResponse> wrong_name;
  coordinator->sync_group(ctx(5), kPartition, missing_protocol, wrong_name.callback());
  EXPECT_EQ(wrong_name->error_code, code(ErrorCode::InconsistentGroupProtocol));
}

TEST_F(MembershipTest, JoinErrors) {
  start();
  auto request = join_request("");
  request.session_timeout_ms = config.min_session_timeout_ms - 1;
  EXPECT_EQ(join(request)->error_code, code(ErrorCode::InvalidSessionTimeout));
  request.session_timeout_ms = config.max_session_timeout_ms + 1;
  EXPECT_EQ(join(request)->error_code, code(ErrorCode::InvalidSessionTimeout));
  EXPECT_EQ(join(join_request("", std::nullopt, {"t"}, ""))->error_code, code(ErrorCode::InvalidGroupId));
  EXPECT_EQ(join(join_request("ghost", std::nullopt, {"t"}, "other"))->error_code, code(ErrorCode::UnknownMemberId));
  auto no_type = join_request("");
  no_type.protocol_type = "";
  EXPECT_EQ(join(no_type)->error_code, code(ErrorCode::InconsistentGroupProtocol));

  const std::string a = stable_single_member();
  auto other_type = join_request("");
  other_type.protocol_type = "connect";
  EXPECT_EQ(join(other_type)->error_code, code(ErrorCode::InconsistentGroupProtocol));
  auto other_protocol = join_request("");
  other_protocol.protocols[0].name = "roundrobin";
  EXPECT_EQ(join(other_protocol)->error_code, code(ErrorCode::InconsistentGroupProtocol));
  EXPECT_EQ(join(join_request("unknown-member"))->error_code, code(ErrorCode::UnknownMemberId));
  (void)a;
}

TEST_F(MembershipTest, GroupMaxSize) {
  config.max_size = 1;
  start();
  stable_single_member();
  auto extra = join(join_request(""), 3);
  ASSERT_TRUE(extra.ready());
  EXPECT_EQ(extra->error_code, code(ErrorCode::GroupMaxSizeReached));
}

TEST_F(MembershipTest, NewMemberTriggersRebalanceOfStableGroup) {
  start();
  const std::string a = stable_single_member();
  EXPECT_EQ(heartbeat(a, 1), 0);
  const std::string b = get_member_id("b");
  auto join_b = join(join_request(b));
  EXPECT_FALSE(join_b.ready());
  EXPECT_EQ(heartbeat(a, 1), code(ErrorCode::RebalanceInProgress));
  auto rejoin_a = join(join_request(a));
  // Everyone rejoined: the join phase ends at once.
  ASSERT_TRUE(rejoin_a.ready());
  ASSERT_TRUE(join_b.ready());
  EXPECT_EQ(rejoin_a->generation_id, 2);
  EXPECT_EQ(rejoin_a->leader, a);  // the leader rejoined, so it stays leader
  EXPECT_EQ(rejoin_a->members.size(), 2u);
  EXPECT_TRUE(join_b->members.empty());
}

TEST_F(MembershipTest, LeaveTriggersRebalanceAndLastLeaveEmptiesTheGroup) {
  start();
  const std::string a = stable_single_member();
  const std::string b = get_member_id("b");
  auto join_b = join(join_request(b));
  auto rejoin_a = join(join_request(a));
  sync(b, 2);
  auto sync_a = sync(a, 2, {{a, {1}}, {b, {2}}});
  store.complete_all();
  ASSERT_EQ(describe().group_state, "Stable");

  auto left = leave({identity(b)});
  ASSERT_TRUE(left.ready());
  ASSERT_EQ(left->members.size(), 1u);
  EXPECT_EQ(left->members[0].error_code, 0);
  EXPECT_EQ(heartbeat(a, 2), code(ErrorCode::RebalanceInProgress));
  auto alone = join(join_request(a));
  ASSERT_TRUE(alone.ready());
  EXPECT_EQ(alone->generation_id, 3);
  EXPECT_EQ(alone->members.size(), 1u);
  sync(a, 3, {{a, {1}}});
  store.complete_all();

  // The last member leaving: Empty, persisted before the answer (v0 shape).
  auto last = leave({identity(a)}, 1);
  EXPECT_FALSE(last.ready());
  store.complete_all();
  ASSERT_TRUE(last.ready());
  EXPECT_EQ(last->error_code, 0);
  EXPECT_EQ(describe().group_state, "Empty");
  EXPECT_EQ(heartbeat(a, 4), code(ErrorCode::UnknownMemberId));
}

TEST_F(MembershipTest, LeaveErrorsPerMember) {
  start();
  const std::string a = stable_single_member();
  auto left = leave({identity("nobody"), identity("", "no-instance")});
  ASSERT_TRUE(left.ready());
  EXPECT_EQ(left->error_code, 0);
  ASSERT_EQ(left->members.size(), 2u);
  EXPECT_EQ(left->members[0].error_code, code(ErrorCode::UnknownMemberId));
  EXPECT_EQ(left->members[1].error_code, code(ErrorCode::UnknownMemberId));
  EXPECT_EQ(left->members[1].group_instance_id, "no-instance");
  // v0-2 carry the member's error at the top level.
  auto old = leave({identity("nobody")}, 0);
  EXPECT_EQ(old->error_code, code(ErrorCode::UnknownMemberId));
  auto unknown_group = leave({identity(a)}, 5, "other");
  EXPECT_EQ(unknown_group->members.at(0).error_code, code(ErrorCode::UnknownMemberId));
}

TEST_F(MembershipTest, SessionExpiryRemovesTheMember) {
  start();
  const std::string a = stable_single_member();
  const std::string b = get_member_id("b");
  auto join_b = join(join_request(b));
  auto rejoin_a = join(join_request(a));
  sync(b, 2);
  sync(a, 2, {{a, {1}}, {b, {2}}});
  store.complete_all();

  // a heartbeats, b has gone quiet.
  for (int i = 0; i < 4; ++i) {
    run_for(3000);
    EXPECT_EQ(heartbeat(a, 2), i < 3 ? 0 : code(ErrorCode::RebalanceInProgress));
  }
  auto alone = join(join_request(a));
  ASSERT_TRUE(alone.ready());
  EXPECT_EQ(alone->generation_id, 3);
  EXPECT_EQ(alone->members.size(), 1u);
}

TEST_F(MembershipTest, RebalanceTimeoutRemovesAMemberThatDoesNotRejoin) {
  start();
  const std::string a = stable_single_member();
  const std::string b = get_member_id("b");
  auto join_b = join(join_request(b));
  auto rejoin_a = join(join_request(a));
  sync(b, 2);
  sync(a, 2, {{a, {1}}, {b, {2}}});
  store.complete_all();

  // c joins; b keeps heartbeating but never rejoins.
  const std::string c = get_member_id("c");
  auto join_c = join(join_request(c));
  auto join_a = join(join_request(a));
  for (int elapsed = 0; elapsed + 5000 < kRebalanceMs; elapsed += 5000) {
    run_for(5000);
    EXPECT_EQ(heartbeat(b, 2), code(ErrorCode::RebalanceInProgress));
  }
  EXPECT_FALSE(join_a.ready());
  run_for(5000);
  ASSERT_TRUE(join_a.ready());
  EXPECT_EQ(join_a->generation_id, 3);
  EXPECT_EQ(join_a->members.size(), 2u);
  EXPECT_EQ(heartbeat(b, 3), code(ErrorCode::UnknownMemberId));
}

TEST_F(MembershipTest, MembersThatNeverSyncAreRemoved) {
  start();
  const std::string a = stable_single_member();
  const std::string b = get_member_id("b");
  auto join_b = join(join_request(b));
  auto join_a = join(join_request(a));
  auto sync_a = sync(a, 2, {{a, {1}}, {b, {2}}});
  store.complete_all();
  ASSERT_EQ(describe().group_state, "Stable");
  // b heartbeats but never sends SyncGroup.
  for (int elapsed = 0; elapsed < kRebalanceMs; elapsed += 5000) {
    run_for(5000);
    heartbeat(a, 2);
    heartbeat(b, 2);
  }
  EXPECT_EQ(describe().group_state, "PreparingRebalance");
  EXPECT_EQ(heartbeat(b, 2), code(ErrorCode::UnknownMemberId));
}

TEST_F(MembershipTest, HeartbeatErrors) {
  start();
  const std::string a = stable_single_member();
  EXPECT_EQ(heartbeat(a, 1), 0);
  EXPECT_EQ(heartbeat(a, 2), code(ErrorCode::IllegalGeneration));
  EXPECT_EQ(heartbeat("x", 1), code(ErrorCode::UnknownMemberId));
  EXPECT_EQ(heartbeat(a, 1, std::nullopt, "other"), code(ErrorCode::UnknownMemberId));
  EXPECT_EQ(heartbeat(a, 1, std::nullopt, ""), code(ErrorCode::InvalidGroupId));
}

class StaticMembershipTest : public CoordinatorTest {
 protected:
  // A static member "i1" (the leader) and a dynamic one, Stable at generation 1.
  void stable_group() {
    start();
    auto join_static = join(join_request("", "i1"), 9);
    ASSERT_TRUE(!join_static.ready());
    dynamic_id = get_member_id("dyn");
    auto join_dynamic = join(join_request(dynamic_id), 9);
    run_for(10);
    static_id = join_static->member_id;
    EXPECT_EQ(static_id.rfind("i1-", 0), 0u);
    EXPECT_EQ(join_static->leader, static_id);
    sync(dynamic_id, 1, {}, std::nullopt);
    sync(static_id, 1, {{static_id, {1}}, {dynamic_id, {2}}}, "i1");
    store.complete_all();
    ASSERT_EQ(describe().group_state, "Stable");
  }
  std::string static_id;
  std::string dynamic_id;
};

TEST_F(StaticMembershipTest, RejoinWithUnknownMemberIdReplacesWithoutRebalance) {
  stable_group();
  const size_t records_before = store.log.size();
  auto rejoin = join(join_request("", "i1"), 9);
  EXPECT_FALSE(rejoin.ready());  // the new member id is persisted first
  store.complete_all();
  ASSERT_TRUE(rejoin.ready());
  EXPECT_EQ(rejoin->error_code, 0);
  EXPECT_NE(rejoin->member_id, static_id);
  EXPECT_EQ(rejoin->generation_id, 1);
  EXPECT_TRUE(rejoin->skip_assignment);  // KIP-814: the static leader keeps the assignment
  EXPECT_EQ(rejoin->leader, rejoin->member_id);
  EXPECT_EQ(rejoin->members.size(), 2u);
  EXPECT_EQ(store.log.size(), records_before + 1);
  EXPECT_EQ(describe().group_state, "Stable");
  // The other member never noticed.
  EXPECT_EQ(heartbeat(dynamic_id, 1), 0);
  // It syncs and gets its old assignment back.
  auto synced = sync(rejoin->member_id, 1, {}, "i1");
  EXPECT_EQ(synced->assignment, std::vector<uint8_t>{1});
  // The old incarnation is fenced everywhere.
  EXPECT_EQ(heartbeat(static_id, 1, "i1"), code(ErrorCode::FencedInstanceId));
  EXPECT_EQ(sync(static_id, 1, {}, "i1")->error_code, code(ErrorCode::FencedInstanceId));
  EXPECT_EQ(join(join_request(static_id, "i1"), 9)->error_code, code(ErrorCode::FencedInstanceId));
  auto commit_old = commit([&] {
    auto r = commit_request(static_id, 1, {{"t", 5}});
    r.group_instance_id = "i1";
    return r;
  }());
  EXPECT_EQ(commit_old->topics.at(0).partitions.at(0).error_code, code(ErrorCode::FencedInstanceId));
  auto leave_old = leave({identity(static_id, "i1")});
  EXPECT_EQ(leave_old->members.at(0).error_code, code(ErrorCode::FencedInstanceId));
}

TEST_F(StaticMembershipTest, OldClientsAreNotToldTheyLead) {
  stable_group();
  auto rejoin = join(join_request("", "i1"), 7);
  store.complete_all();
  ASSERT_TRUE(rejoin.ready());
  EXPECT_FALSE(rejoin->skip_assignment);
  EXPECT_EQ(rejoin->leader, static_id);  // the previous leader id
  EXPECT_TRUE(rejoin->members.empty());
}

TEST_F(StaticMembershipTest, ChangedProtocolChoiceRebalances) {
  start();
  auto first = join(join_request("", "i1"), 9);
  run_for(10);
  sync(first->member_id, 1, {{first->member_id, {1}}}, "i1");
  store.complete_all();
  // Now preferring a protocol it alone supports: the group's choice changes.
  auto request = join_request("", "i1");
  request.protocols.insert(request.protocols.begin(), {"roundrobin", subscription({"t"})});
  auto rejoin = join(request, 9);
  ASSERT_TRUE(rejoin.ready());  // it is the only member: the join phase ends at once
  EXPECT_EQ(rejoin->generation_id, 2);
  EXPECT_EQ(rejoin->protocol_name, "roundrobin");
}

TEST_F(StaticMembershipTest, LeaveByInstanceId) {
  stable_group();
  auto left = leave({identity("", "i1")});
  ASSERT_TRUE(left.ready());
  EXPECT_EQ(left->members.at(0).error_code, 0);
  EXPECT_EQ(describe().group_state, "PreparingRebalance");
}

TEST_F(StaticMembershipTest, StaticMemberSurvivesTheJoinPhaseUntilItsSessionEnds) {
  stable_group();
  // The dynamic member rejoins with new metadata (a rebalance); the static
  // one heartbeats but does not rejoin.
  auto request = join_request(dynamic_id);
  request.protocols[0].metadata = subscription({"t", "u"});
  auto rejoin = join(request, 9);
  for (int elapsed = 0; elapsed + 5000 < kRebalanceMs; elapsed += 5000) {
    run_for(5000);
    EXPECT_EQ(heartbeat(static_id, 1, "i1"), code(ErrorCode::RebalanceInProgress));
  }
  run_for(5000);
  // The join phase ended without it, but a static member stays...
  ASSERT_TRUE(rejoin.ready());
  EXPECT_EQ(rejoin->generation_id, 2);
  EXPECT_EQ(rejoin->members.size(), 2u);
  // ...until its session (restarted when the phase ended) runs out.
  run_for(kSessionMs / 2);
  EXPECT_EQ(heartbeat(dynamic_id, 2), 0);
  run_for(kSessionMs / 2);
  EXPECT_EQ(heartbeat(dynamic_id, 2), code(ErrorCode::RebalanceInProgress));
  EXPECT_EQ(heartbeat(static_id, 2, "i1"), code(ErrorCode::UnknownMemberId));
}

TEST_F(MembershipTest, UnknownOrLoadingPartition) {
  start();
  Answer<protocol::JoinGroupResponse> answer;
  coordinator->join_group(ctx(7), kPartition + 1, join_request(""), answer.callback());
  EXPECT_EQ(answer->error_code, code(ErrorCode::NotCoordinator));
  coordinator->begin_loading(kPartition + 1);
  EXPECT_TRUE(coordinator->any_partition_loading());
  Answer<protocol::JoinGroupResponse> loading;
  coordinator->join_group(ctx(7), kPartition + 1, join_request(""), loading.callback());
  EXPECT_EQ(loading->error_code, code(ErrorCode::CoordinatorLoadInProgress));
  protocol::HeartbeatRequest hb;
  hb.group_id = "g";
  EXPECT_EQ(coordinator->heartbeat(ctx(4), kPartition + 1, hb).error_code, 0);  // answered blindly
}

TEST_F(MembershipTest, UnloadAnswersParkedRequests) {
  start();
  const std::string id = get_member_id();
  auto parked = join(join_request(id));
  coordinator->unload(kPartition);
  ASSERT_TRUE(parked.ready());
  EXPECT_EQ(parked->error_code, code(ErrorCode::NotCoordinator));
  EXPECT_FALSE(coordinator->next_deadline_ms().has_value());
}

TEST_F(MembershipTest, GarbageSubscriptionsDoNotHurt) {
  start();
  auto request = join_request("");
  request.protocols[0].metadata = {0xff, 0xff, 0xff};
  auto joined = join(request, 3);
  run_for(10);
  ASSERT_TRUE(joined.ready());
  EXPECT_EQ(joined->error_code, 0);
  sync(joined->member_id, 1, {{joined->member_id, {9}}});
  store.complete_all();
  EXPECT_EQ(describe().group_state, "Stable");
}

TEST(GroupPartitionTest, MatchesKafka) {
  EXPECT_EQ(group_partition("hello", 50), 99162322 % 50);
  // Its hashCode is Integer.MIN_VALUE, which Kafka's Utils.abs maps to 0.
  EXPECT_EQ(group_partition("polygenelubricants", 50), 0);
  EXPECT_EQ(group_partition("", 50), 0);
  // Java hashes UTF-16: "é" is one unit (0xE9).
  EXPECT_EQ(group_partition("\xC3\xA9", 1000), 0xE9 % 1000);
}

}  // namespace
}  // namespace freshet::coordinator::testing
