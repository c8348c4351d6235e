// Heartbeat keeps a member's session alive and tells it when to rejoin;
// LeaveGroup removes members (v0-2: the caller; v3+: a batch, by member id or
// by group instance id).
#include "coordinator/coordinator_state.h"

namespace freshet::coordinator {

using protocol::ErrorCode;

protocol::HeartbeatResponse GroupCoordinator::State::heartbeat(int32_t partition,
                                                               const protocol::HeartbeatRequest& request) {
  protocol::HeartbeatResponse response;
  auto answer = [&](ErrorCode error) {
    response.error_code = protocol::code(error);
    return response;
  };
  if (request.group_id.empty()) return answer(ErrorCode::InvalidGroupId);
  const ErrorCode partition_state = partition_error(partition);
  // While loading, Kafka answers blindly: the member will find out later.
  if (partition_state == ErrorCode::CoordinatorLoadInProgress) return answer(ErrorCode::None);
  if (partition_state != ErrorCode::None) return answer(partition_state);

  Group* group = find_group(partition, request.group_id);
  if (group == nullptr) return answer(ErrorCode::UnknownMemberId);
  if (group->is(GroupState::kDead)) return answer(ErrorCode::CoordinatorNotAvailable);
  if (const ErrorCode error = group->validate_member(request.member_id, request.group_instance_id);
      error != ErrorCode::None) {
    return answer(error);
  }
  if (request.generation_id != group->generation_id()) return answer(ErrorCode::IllegalGeneration);
  switch (group->state()) {
    case GroupState::kPreparingRebalance:
      reschedule_heartbeat(*group, *group->member(request.member_id));
      return answer(ErrorCode::RebalanceInProgress);
    case GroupState::kCompletingRebalance:
    case GroupState::kStable:
      // Members may heartbeat between their JoinGroup and SyncGroup answers.
      reschedule_heartbeat(*group, *group->member(request.member_id));
      return answer(ErrorCode::None);
    case GroupState::kEmpty:
    case GroupState::kDead:
      break;
  }
  return answer(ErrorCode::UnknownMemberId);
}

void GroupCoordinator::State::leave_group(const CallContext& ctx, int32_t partition,
                                          const protocol::LeaveGroupRequest& request,
                                          std::function<void(protocol::LeaveGroupResponse)> done) {
  // v0-2 name one member, the caller, at the top level.
  constexpr int16_t kFirstBatchVersion = 3;
  std::vector<protocol::LeaveGroupRequest::MemberIdentity> leaving = request.members;
  if (ctx.api_version < kFirstBatchVersion) {
    leaving.clear();
    leaving.emplace_back().member_id = request.member_id;
  }
  auto finish = [this, done = std::move(done), version = ctx.api_version](protocol::LeaveGroupResponse response) {
    // v0-2 carry one error: the top-level one, else the first member's.
    if (version < kFirstBatchVersion && response.error_code == 0) {
      for (const auto& m : response.members) {
        if (m.error_code != 0) {
          response.error_code = m.error_code;
          break;
        }
      }
    }
    outbox.post([done, response = std::move(response)]() mutable { done(std::move(response)); });
  };
  auto fail = [&](ErrorCode error) {
    protocol::LeaveGroupResponse response;
    response.error_code = protocol::code(error);
    finish(std::move(response));
  };
  if (request.group_id.empty()) return fail(ErrorCode::InvalidGroupId);
  if (const ErrorCode error = partition_error(partition); error != ErrorCode::None) return fail(error);

  protocol::LeaveGroupResponse response;
  auto add_result = [&](const protocol::LeaveGroupRequest::MemberIdentity& identity, ErrorCode error) {
    auto& result = response.members.emplace_back();
    result.member_id = identity.member_id;
    result.group_instance_id = identity.group_instance_id;
    result.error_code = protocol::code(error);
  };
  Group* group = find_group(partition, request.group_id);
  if (group == nullptr) {
    for (const auto& identity : leaving) add_result(identity, ErrorCode::UnknownMemberId);
    return finish(std::move(response));
  }
  if (group->is(GroupState::kDead)) return fail(ErrorCode::CoordinatorNotAvailable);

  bool anyone_left = false;
  for (const auto& identity : leaving) {
    ErrorCode error = ErrorCode::None;
    if (identity.member_id.empty()) {
      // Administrative removal of a static member by instance id alone.
      const std::string* holder =
          identity.group_instance_id ? group->static_member_id(*identity.group_instance_id) : nullptr;
      if (holder == nullptr) {
        error = ErrorCode::UnknownMemberId;
      } else {
        const std::string member_id = *holder;
        cancel(TimerKind::kSession, *group, member_id);
        group->remove(member_id);
      }
    } else if (group->is_pending_member(identity.member_id)) {
      cancel(TimerKind::kSession, *group, identity.member_id);
      group->remove(identity.member_id);
    } else {
      error = group->validate_member(identity.member_id, identity.group_instance_id);
      if (error == ErrorCode::None) {
        cancel(TimerKind::kSession, *group, identity.member_id);
        group->remove(identity.member_id);
      }
    }
    anyone_left = anyone_left || error == ErrorCode::None;
    add_result(identity, error);
  }

  const uint64_t appends_before = partitions.at(partition).appends_issued;
  if (anyone_left) {
    if (group->is(GroupState::kStable) || group->is(GroupState::kCompletingRebalance)) {
      maybe_prepare_rebalance_or_complete_join(*group);
    } else if (group->is(GroupState::kPreparingRebalance)) {
      maybe_complete_join_phase(*group);
    }
  }
  // The group may have become Empty: answer once that is durable.
  when_durable(partition, appends_before,
               [finish = std::move(finish), response = std::move(response)](ErrorCode error) mutable {
                 if (error != ErrorCode::None) {
                   response = protocol::LeaveGroupResponse{};
                   response.error_code = protocol::code(error);
                 }
                 finish(std::move(response));
               });
}

}  // namespace freshet::coordinator
