// SyncGroup: the leader hands in the assignment, which is persisted before
// any member (leader or follower) gets its share; members that never sync
// within the rebalance timeout are removed (Kafka's pending-sync timeout).
#include "coordinator/coordinator_state.h"
#include "coordinator/group_records.h"

namespace freshet::coordinator {

using protocol::ErrorCode;
using protocol::SyncGroupRequest;
using protocol::SyncGroupResponse;

namespace {

// SyncGroup v5+ must name the protocol type and name (KIP-559).
constexpr int16_t kFirstVersionWithMandatoryProtocol = 5;

// Set on both sides and different.
bool inconsistent(const std::optional<std::string>& requested, const std::optional<std::string>& group) {
  return requested && group && *requested != *group;
}

}  // namespace

void GroupCoordinator::State::sync_group(const CallContext& ctx, int32_t partition, const SyncGroupRequest& request,
                                         SyncCallback done) {
  auto fail = [&](ErrorCode error) {
    SyncGroupResponse response;
    response.error_code = protocol::code(error);
    outbox.post([done = std::move(done), response = std::move(response)]() mutable { done(std::move(response)); });
  };
  if (ctx.api_version >= kFirstVersionWithMandatoryProtocol && (!request.protocol_type || !request.protocol_name)) {
    return fail(ErrorCode::InconsistentGroupProtocol);
  }
  if (request.group_id.empty()) return fail(ErrorCode::InvalidGroupId);
  if (const ErrorCode error = partition_error(partition); error != ErrorCode::None) return fail(error);

  Group* group = find_group(partition, request.group_id);
  if (group == nullptr || group->is(GroupState::kEmpty)) return fail(ErrorCode::UnknownMemberId);
  if (group->is(GroupState::kDead)) return fail(ErrorCode::CoordinatorNotAvailable);
  if (const ErrorCode error = group->validate_member(request.member_id, request.group_instance_id);
      error != ErrorCode::None) {
    return fail(error);
  }
  if (request.generation_id != group->generation_id()) return fail(ErrorCode::IllegalGeneration);
  if (inconsistent(request.protocol_type, group->protocol_type()) ||
      inconsistent(request.protocol_name, group->protocol_name())) {
    return fail(ErrorCode::InconsistentGroupProtocol);
  }

  Member& member = *group->member(request.member_id);
  switch (group->state()) {
    case GroupState::kPreparingRebalance:
      return fail(ErrorCode::RebalanceInProgress);
    case GroupState::kStable: {
      remove_pending_sync_member(*group, request.member_id);
      SyncGroupResponse response;
      response.protocol_type = group->protocol_type();
      response.protocol_name = group->protocol_name();
      response.assignment = member.assignment;
      outbox.post([done = std::move(done), response = std::move(response)]() mutable { done(std::move(response)); });
      return;
    }
    case GroupState::kCompletingRebalance:
      break;
    case GroupState::kEmpty:
    case GroupState::kDead:
      return;  // answered above
  }

  group->park_sync(member, std::move(done));
  remove_pending_sync_member(*group, request.member_id);
  if (!group->is_leader(request.member_id)) return;

  // Members the leader left out get an empty assignment.
  std::map<std::string, std::vector<uint8_t>> assignments;
  for (const auto& a : request.assignments) assignments[a.member_id] = a.assignment;
  for (const auto& [id, m] : group->members()) assignments.try_emplace(id);
  const std::string group_id = group->group_id();
  const int32_t generation = group->generation_id();
  StoredRecord record = group_metadata_record(*group, assignments);
  persist(partition, {std::move(record)},
          [this, partition, group_id, generation, assignments = std::move(assignments)](ErrorCode error) {
            Group* g = find_group(partition, group_id);
            // A member joined or left meanwhile: that rebalance answers everyone.
            if (g == nullptr || !g->is(GroupState::kCompletingRebalance) || g->generation_id() != generation) return;
            if (error != ErrorCode::None) {
              reset_and_propagate_assignment_with_error(*g, error);
              maybe_prepare_rebalance_or_complete_join(*g);
              return;
            }
            set_and_propagate_assignment(*g, assignments);
            g->transition_to(GroupState::kStable, now_ms);
          });
}

void GroupCoordinator::State::remove_pending_sync_member(Group& group, const std::string& member_id) {
  group.remove_pending_sync_member(member_id);
  const bool syncing = group.is(GroupState::kCompletingRebalance) || group.is(GroupState::kStable);
  if (!syncing || group.has_received_sync_from_all_members()) cancel(TimerKind::kPendingSync, group);
}

void GroupCoordinator::State::schedule_pending_sync(Group& group) {
  group.pending_sync_generation = group.generation_id();
  schedule(TimerKind::kPendingSync, group, {}, group.rebalance_timeout_ms());
}

void GroupCoordinator::State::expire_pending_sync(Group& group) {
  if (group.pending_sync_generation != group.generation_id()) return;
  if (!group.is(GroupState::kCompletingRebalance) && !group.is(GroupState::kStable)) return;
  if (group.has_received_sync_from_all_members()) return;
  const std::set<std::string> laggards = group.pending_sync_members();
  for (const std::string& member_id : laggards) {
    cancel(TimerKind::kSession, group, member_id);
    group.remove(member_id);
  }
  prepare_rebalance(group);
}

void GroupCoordinator::State::set_and_propagate_assignment(
    Group& group, const std::map<std::string, std::vector<uint8_t>>& assignments) {
  for (const auto& [id, unused] : group.members()) {
    auto it = assignments.find(id);
    group.member(id)->assignment = it == assignments.end() ? std::vector<uint8_t>{} : it->second;
  }
  propagate_assignment(group, ErrorCode::None);
}

void GroupCoordinator::State::reset_and_propagate_assignment_with_error(Group& group, ErrorCode error) {
  for (const auto& [id, unused] : group.members()) group.member(id)->assignment.clear();
  propagate_assignment(group, error);
}

void GroupCoordinator::State::propagate_assignment(Group& group, ErrorCode error) {
  for (const auto& [id, unused] : group.members()) {
    Member& member = *group.member(id);
    SyncGroupResponse response;
    response.error_code = protocol::code(error);
    if (error == ErrorCode::None) {
      response.protocol_type = group.protocol_type();
      response.protocol_name = group.protocol_name();
    }
    response.assignment = member.assignment;
    // A session that ran out while the member waited was ignored; it
    // restarts now that the member has its answer.
    if (group.complete_sync(member, std::move(response))) reschedule_heartbeat(group, member);
  }
}

}  // namespace freshet::coordinator
