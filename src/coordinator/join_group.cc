// JoinGroup: Kafka's classicGroupJoin. New members get an id (KIP-394: v4+
// dynamic members must come back with it), known members rejoin, static
// members replace their previous incarnation.
#include <cassert>

#include "coordinator/coordinator_state.h"
#include "coordinator/group_records.h"

namespace freshet::coordinator {

using protocol::ErrorCode;
using protocol::JoinGroupRequest;
using protocol::JoinGroupResponse;

namespace {

// JoinGroup v4+ requires a member id before the member may join (KIP-394).
constexpr int16_t kFirstVersionRequiringMemberId = 4;
// JoinGroup v9+ lets a rejoining static leader skip the assignment (KIP-814).
constexpr int16_t kFirstVersionSkippingAssignment = 9;

JoinGroupResponse error_response(ErrorCode error, std::string member_id) {
  JoinGroupResponse response;
  response.error_code = protocol::code(error);
  response.member_id = std::move(member_id);
  return response;
}

std::vector<MemberProtocol> protocols_of(const JoinGroupRequest& request) {
  std::vector<MemberProtocol> protocols;
  protocols.reserve(request.protocols.size());
  for (const auto& p : request.protocols) protocols.push_back(MemberProtocol{p.name, p.metadata});
  return protocols;
}

}  // namespace

void GroupCoordinator::State::join_group(const CallContext& ctx, int32_t partition, const JoinGroupRequest& request,
                                         JoinCallback done) {
  auto fail = [&](ErrorCode error, std::string member_id) {
    outbox.post([done = std::move(done), response = error_response(error, std::move(member_id))]() mutable {
      done(std::move(response));
    });
  };
  if (request.group_id.empty()) return fail(ErrorCode::InvalidGroupId, request.member_id);
  if (const ErrorCode error = partition_error(partition); error != ErrorCode::None) {
    return fail(error, request.member_id);
  }
  if (request.session_timeout_ms < config.min_session_timeout_ms ||
      request.session_timeout_ms > config.max_session_timeout_ms) {
    return fail(ErrorCode::InvalidSessionTimeout, request.member_id);
  }
  // v0 has no rebalance timeout: the session timeout serves as one.
  const int32_t rebalance_timeout_ms = ctx.api_version == 0 ? request.session_timeout_ms : request.rebalance_timeout_ms;
  const bool unknown_member = request.member_id.empty();

  Group* group = find_group(partition, request.group_id);
  if (group == nullptr) {
    if (!unknown_member) return fail(ErrorCode::UnknownMemberId, request.member_id);
    group = &create_group(partition, request.group_id, now_ms);
  }
  if (!accept_joining_member(*group, request.member_id)) {
    cancel(TimerKind::kSession, *group, request.member_id);
    group->remove(request.member_id);
    return fail(ErrorCode::GroupMaxSizeReached, "");
  }
  if (unknown_member) {
    join_new_member(ctx, *group, request, rebalance_timeout_ms, std::move(done));
  } else {
    join_existing_member(ctx, *group, request, rebalance_timeout_ms, std::move(done));
  }
}

bool GroupCoordinator::State::accept_joining_member(const Group& group, const std::string& member_id) const {
  const auto max_size = static_cast<size_t>(std::max(config.max_size, 0));
  switch (group.state()) {
    case GroupState::kEmpty:
    case GroupState::kDead:
      return true;
    case GroupState::kPreparingRebalance: {
      // Counting the members that rejoined (not all members) lets the last
      // ones to rejoin be turned away when the limit was lowered.
      auto it = group.members().find(member_id);
      return (it != group.members().end() && it->second.is_awaiting_join()) || group.num_awaiting_join() < max_size;
    }
    case GroupState::kCompletingRebalance:
    case GroupState::kStable:
      return group.has_member(member_id) || group.num_members() < max_size;
  }
  return false;
}

void GroupCoordinator::State::join_new_member(const CallContext& ctx, Group& group, const JoinGroupRequest& request,
                                              int32_t rebalance_timeout_ms, JoinCallback done) {
  auto fail = [&](ErrorCode error) {
    outbox.post([done = std::move(done), response = error_response(error, "")]() mutable { done(std::move(response)); });
  };
  if (group.is(GroupState::kDead)) return fail(ErrorCode::CoordinatorNotAvailable);
  if (!group.supports_protocols(request.protocol_type, protocols_of(request))) {
    return fail(ErrorCode::InconsistentGroupProtocol);
  }
  const std::string new_member_id = generate_member_id(ctx.client_id, request.group_instance_id);
  if (request.group_instance_id) {
    if (const std::string* existing = group.static_member_id(*request.group_instance_id)) {
      const std::string old_member_id = *existing;
      return update_static_member_then_rebalance_or_complete_join(ctx, group, request, old_member_id, new_member_id,
                                                                  rebalance_timeout_ms, std::move(done));
    }
    return add_member_then_rebalance_or_complete_join(ctx, group, request, new_member_id, rebalance_timeout_ms,
                                                      std::move(done));
  }
  if (ctx.api_version >= kFirstVersionRequiringMemberId) {
    // The member must come back with this id before its session times out.
    group.add_pending_member(new_member_id);
    schedule(TimerKind::kSession, group, new_member_id, request.session_timeout_ms);
    outbox.post([done = std::move(done), response = error_response(ErrorCode::MemberIdRequired, new_member_id)]() mutable {
      done(std::move(response));
    });
    return;
  }
  add_member_then_rebalance_or_complete_join(ctx, group, request, new_member_id, rebalance_timeout_ms, std::move(done));
}

void GroupCoordinator::State::join_existing_member(const CallContext& ctx, Group& group,
                                                   const JoinGroupRequest& request, int32_t rebalance_timeout_ms,
                                                   JoinCallback done) {
  const std::string& member_id = request.member_id;
  auto answer = [&](JoinGroupResponse response) {
    outbox.post([done = std::move(done), response = std::move(response)]() mutable { done(std::move(response)); });
  };
  if (group.is(GroupState::kDead)) return answer(error_response(ErrorCode::CoordinatorNotAvailable, member_id));
  auto protocols = protocols_of(request);
  if (!group.supports_protocols(request.protocol_type, protocols)) {
    return answer(error_response(ErrorCode::InconsistentGroupProtocol, member_id));
  }
  if (group.is_pending_member(member_id)) {
    // Pending ids are only given to dynamic members.
    if (request.group_instance_id) return answer(error_response(ErrorCode::UnknownServerError, member_id));
    return add_member_then_rebalance_or_complete_join(ctx, group, request, member_id, rebalance_timeout_ms,
                                                      std::move(done));
  }
  if (const ErrorCode error = group.validate_member(member_id, request.group_instance_id); error != ErrorCode::None) {
    auto response = error_response(error, member_id);
    response.protocol_type = std::nullopt;
    response.protocol_name = std::nullopt;
    return answer(std::move(response));
  }
  Member& member = *group.member(member_id);
  switch (group.state()) {
    case GroupState::kPreparingRebalance:
      return update_member_then_rebalance_or_complete_join(group, member, request, rebalance_timeout_ms,
                                                           std::move(done));
    case GroupState::kCompletingRebalance:
      // Same metadata: it probably missed the JoinGroup answer; repeat it.
      if (member.protocols == protocols) {
        return answer(group.join_response(member_id, group.is_leader(member_id)));
      }
      return update_member_then_rebalance_or_complete_join(group, member, request, rebalance_timeout_ms,
                                                           std::move(done));
    case GroupState::kStable:
      // A rejoining leader forces a rebalance (it may have seen topic
      // changes); so does changed metadata. Otherwise the follower just
      // learns the current generation and syncs.
      if (group.is_leader(member_id) || member.protocols != protocols) {
        return update_member_then_rebalance_or_complete_join(group, member, request, rebalance_timeout_ms,
                                                             std::move(done));
      }
      return answer(group.join_response(member_id, false));
    case GroupState::kEmpty:
    case GroupState::kDead:
      return answer(error_response(ErrorCode::UnknownMemberId, member_id));
  }
}

void GroupCoordinator::State::add_member_then_rebalance_or_complete_join(const CallContext& ctx, Group& group,
                                                                         const JoinGroupRequest& request,
                                                                         const std::string& member_id,
                                                                         int32_t rebalance_timeout_ms,
                                                                         JoinCallback done) {
  Member member;
  member.member_id = member_id;
  member.group_instance_id = request.group_instance_id;
  member.client_id = ctx.client_id;
  member.client_host = ctx.client_host;
  member.rebalance_timeout_ms = rebalance_timeout_ms;
  member.session_timeout_ms = request.session_timeout_ms;
  member.protocol_type = request.protocol_type;
  member.protocols = protocols_of(request);
  member.is_new = true;
  // Lets the initial rebalance delay be extended.
  if (group.is(GroupState::kPreparingRebalance) && group.previous_state() == GroupState::kEmpty) {
    group.set_new_member_added(true);
  }
  group.add(std::move(member), std::move(done));
  // A parked JoinGroup cannot heartbeat; a client that gave up on it would
  // otherwise linger as a defunct member, so new members get a join timeout.
  reschedule_heartbeat(group, *group.member(member_id), kNewMemberJoinTimeoutMs);
  maybe_prepare_rebalance_or_complete_join(group);
}

void GroupCoordinator::State::update_member_then_rebalance_or_complete_join(Group& group, Member& member,
                                                                            const JoinGroupRequest& request,
                                                                            int32_t rebalance_timeout_ms,
                                                                            JoinCallback done) {
  group.update_member(member, protocols_of(request), rebalance_timeout_ms, request.session_timeout_ms,
                      std::move(done));
  maybe_prepare_rebalance_or_complete_join(group);
}

void GroupCoordinator::State::update_static_member_then_rebalance_or_complete_join(
    const CallContext& ctx, Group& group, const JoinGroupRequest& request, const std::string& old_member_id,
    const std::string& new_member_id, int32_t rebalance_timeout_ms, JoinCallback done) {
  const std::string instance_id = *request.group_instance_id;
  const std::string leader_before = group.leader_id().value_or("");
  cancel(TimerKind::kSession, group, old_member_id);
  Member& member = group.replace_static_member(instance_id, old_member_id, new_member_id);
  reschedule_heartbeat(group, member);
  const std::vector<MemberProtocol> old_protocols = member.protocols;
  const int32_t old_rebalance_timeout_ms = member.rebalance_timeout_ms;
  const int32_t old_session_timeout_ms = member.session_timeout_ms;
  group.update_member(member, protocols_of(request), rebalance_timeout_ms, request.session_timeout_ms,
                      std::move(done));

  switch (group.state()) {
    case GroupState::kStable:
      break;
    case GroupState::kCompletingRebalance:
      // The leader may already be computing an assignment for the old id.
      return prepare_rebalance(group);
    case GroupState::kPreparingRebalance:
      return maybe_complete_join_phase(group);
    case GroupState::kEmpty:
    case GroupState::kDead:
      assert(false && "a static member exists only in a group with members");
      return;
  }
  if (group.protocol_name().value_or("") != group.select_protocol()) {
    return maybe_prepare_rebalance_or_complete_join(group);
  }
  // Stable and the protocol stays: no rebalance. Persist the new member id,
  // then answer it with the current generation.
  std::map<std::string, std::vector<uint8_t>> assignments;
  for (const auto& [id, m] : group.members()) assignments[id] = m.assignment;
  const int32_t partition = group.partition();
  const std::string group_id = group.group_id();
  const int32_t generation = group.generation_id();
  const bool skip_assignment_supported = ctx.api_version >= kFirstVersionSkippingAssignment;
  persist(partition, {group_metadata_record(group, assignments)}, [=, this](ErrorCode error) {
    Group* g = find_group(partition, group_id);
    Member* m = g == nullptr ? nullptr : g->member(new_member_id);
    // A rebalance that started meanwhile answers the member itself.
    if (m == nullptr || !g->is(GroupState::kStable) || g->generation_id() != generation) return;
    if (error != ErrorCode::None) {
      // Not persisted: the old member id holds the instance again.
      auto response = g->join_response("", false);
      response.leader = leader_before;
      response.error_code = protocol::code(error);
      g->complete_join(*m, std::move(response));
      g->update_member(*m, old_protocols, old_rebalance_timeout_ms, old_session_timeout_ms, nullptr);
      cancel(TimerKind::kSession, *g, new_member_id);
      reschedule_heartbeat(*g, g->replace_static_member(instance_id, new_member_id, old_member_id));
    } else if (skip_assignment_supported) {
      const bool is_leader = g->is_leader(new_member_id);
      auto response = g->join_response(new_member_id, is_leader);
      response.skip_assignment = is_leader;
      g->complete_join(*m, std::move(response));
    } else {
      // Older clients must not believe they lead (they would reassign).
      auto response = g->join_response(new_member_id, false);
      response.leader = leader_before;
      g->complete_join(*m, std::move(response));
    }
  });
}

}  // namespace freshet::coordinator
