// The join phase of a rebalance (Kafka's prepareRebalance /
// completeClassicGroupJoin, with the initial delay of InitialDelayedJoin) and
// the session expiry that removes members.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "coordinator/coordinator_state.h"
#include "coordinator/group_records.h"

namespace freshet::coordinator {

using protocol::ErrorCode;

void GroupCoordinator::State::maybe_prepare_rebalance_or_complete_join(Group& group) {
  if (group.can_rebalance()) {
    prepare_rebalance(group);
  } else {
    maybe_complete_join_phase(group);
  }
}

void GroupCoordinator::State::prepare_rebalance(Group& group) {
  // Members waiting for an assignment must rejoin instead.
  if (group.is(GroupState::kCompletingRebalance)) {
    reset_and_propagate_assignment_with_error(group, ErrorCode::RebalanceInProgress);
  }
  group.clear_pending_sync_members();
  cancel(TimerKind::kPendingSync, group);

  const bool initial = group.is(GroupState::kEmpty);
  if (initial) {
    // A new group: give more members the chance to join first.
    const int32_t delay_ms = config.initial_rebalance_delay_ms;
    const int64_t remaining_ms = std::max<int64_t>(int64_t{group.rebalance_timeout_ms()} - delay_ms, 0);
    group.join_timer = Group::JoinTimer{true, delay_ms, static_cast<int32_t>(std::min<int64_t>(remaining_ms, INT32_MAX))};
    schedule(TimerKind::kJoinPhase, group, {}, delay_ms);
  }
  spdlog::info("Preparing to rebalance group {} in state {} with old generation {}", group.group_id(),
               state_name(group.state()), group.generation_id());
  group.transition_to(GroupState::kPreparingRebalance, now_ms);
  if (initial) return;

  if (group.has_all_members_joined()) {
    complete_join_phase(group);
  } else {
    group.join_timer = Group::JoinTimer{};
    schedule(TimerKind::kJoinPhase, group, {}, group.rebalance_timeout_ms());
  }
}

void GroupCoordinator::State::on_join_timer(Group& group) {
  Group::JoinTimer& timer = group.join_timer;
  if (timer.initial && group.new_member_added() && timer.remaining_ms != 0) {
    // Someone joined during the delay: wait once more, within the rebalance timeout.
    group.set_new_member_added(false);
    const int32_t delay_ms = std::min(config.initial_rebalance_delay_ms, timer.remaining_ms);
    timer.remaining_ms = std::max(timer.remaining_ms - timer.delay_ms, 0);
    timer.delay_ms = delay_ms;
    schedule(TimerKind::kJoinPhase, group, {}, delay_ms);
    return;
  }
  complete_join_phase(group);
}

void GroupCoordinator::State::maybe_complete_join_phase(Group& group) {
  // The initial rebalance always waits for its delay.
  if (!group.is(GroupState::kPreparingRebalance) || group.previous_state() == GroupState::kEmpty ||
      !group.has_all_members_joined()) {
    return;
  }
  complete_join_phase(group);
}

void GroupCoordinator::State::complete_join_phase(Group& group) {
  cancel(TimerKind::kJoinPhase, group);
  // Dynamic members that did not rejoin in time are out; static ones stay
  // (they may come back within their session timeout).
  for (const std::string& member_id : group.not_yet_rejoined_members()) {
    if (group.members().at(member_id).group_instance_id) continue;
    cancel(TimerKind::kSession, group, member_id);
    group.remove(member_id);
  }
  if (group.is(GroupState::kDead)) return;
  if (!group.maybe_elect_new_joined_leader() && group.num_members() != 0) {
    // Nobody rejoined: wait again until the session timeouts clear them out.
    group.join_timer = Group::JoinTimer{};
    schedule(TimerKind::kJoinPhase, group, {}, group.rebalance_timeout_ms());
    return;
  }
  group.init_next_generation(now_ms);
  if (group.is(GroupState::kEmpty)) {
    spdlog::info("Group {} with generation {} is now empty", group.group_id(), group.generation_id());
    // A failure here only means the previous generation is what a reload
    // sees; with no members that is harmless (as in Kafka).
    persist(group.partition(), {group_metadata_record(group, {})}, nullptr);
    return;
  }
  spdlog::info("Stabilized group {} generation {} with {} members", group.group_id(), group.generation_id(),
               group.num_members());
  for (const auto& [member_id, unused] : group.members()) {
    Member& m = *group.member(member_id);
    group.complete_join(m, group.join_response(member_id, group.is_leader(member_id)));
    reschedule_heartbeat(group, m);
    m.is_new = false;
    group.add_pending_sync_member(member_id);
  }
  schedule_pending_sync(group);
}

void GroupCoordinator::State::expire_heartbeat(Group& group, const std::string& member_id) {
  if (group.is(GroupState::kDead)) return;
  if (group.is_pending_member(member_id)) {
    group.remove(member_id);
    if (group.is(GroupState::kPreparingRebalance) && group.has_all_members_joined()) complete_join_phase(group);
    return;
  }
  const Member* member = group.member(member_id);
  if (member == nullptr || member->has_satisfied_heartbeat()) return;
  spdlog::info("Member {} in group {} has failed (session expired), removing it", member_id, group.group_id());
  remove_member_and_update_group(group, member_id);
}

void GroupCoordinator::State::remove_member_and_update_group(Group& group, const std::string& member_id) {
  cancel(TimerKind::kSession, group, member_id);
  // A parked JoinGroup is answered UNKNOWN_MEMBER_ID so a live client rejoins.
  group.remove(member_id);
  if (group.is(GroupState::kStable) || group.is(GroupState::kCompletingRebalance)) {
    maybe_prepare_rebalance_or_complete_join(group);
  } else if (group.is(GroupState::kPreparingRebalance) && group.has_all_members_joined()) {
    complete_join_phase(group);
  }
}

}  // namespace freshet::coordinator
