#include "coordinator/coordinator_state.h"

#include <algorithm>
#include <cassert>

#include "coordinator/owned_partitions.h"

namespace freshet::coordinator {

using protocol::ErrorCode;

ErrorCode append_error_to_response_error(ErrorCode append_error) {
  switch (append_error) {
    case ErrorCode::UnknownTopicOrPartition:
    case ErrorCode::NotEnoughReplicas:
    case ErrorCode::RequestTimedOut:
      return ErrorCode::CoordinatorNotAvailable;
    case ErrorCode::NotLeaderOrFollower:
    case ErrorCode::KafkaStorageError:
      return ErrorCode::NotCoordinator;
    case ErrorCode::MessageTooLarge:
    case ErrorCode::RecordListTooLarge:
    case ErrorCode::InvalidFetchSize:
      return ErrorCode::UnknownServerError;
    case ErrorCode::NetworkException:
      return ErrorCode::CoordinatorLoadInProgress;
    default:
      return append_error;
  }
}

GroupCoordinator::State::State(GroupConfig config_in, GroupStore& store_in)
    : config(config_in), store(store_in), self(std::make_shared<State*>(this)) {}

ErrorCode GroupCoordinator::State::partition_error(int32_t partition) const {
  return owned_partition_error(partitions, partition);
}

OwnedPartition* GroupCoordinator::State::active(int32_t partition) { return active_partition(partitions, partition); }

Group* GroupCoordinator::State::find_group(int32_t partition, const std::string& group_id) {
  OwnedPartition* owned = active(partition);
  if (owned == nullptr) return nullptr;
  auto it = owned->groups.find(group_id);
  return it == owned->groups.end() ? nullptr : it->second.get();
}

Group& GroupCoordinator::State::create_group(int32_t partition, const std::string& group_id, int64_t created_ms) {
  auto& slot = partitions.at(partition).groups[group_id];
  assert(slot == nullptr);
  slot = std::make_unique<Group>(group_id, partition, GroupState::kEmpty, created_ms, outbox);
  return *slot;
}

void GroupCoordinator::State::erase_group(Group& group) {
  cancel(TimerKind::kJoinPhase, group);
  cancel(TimerKind::kPendingSync, group);
  partitions.at(group.partition()).groups.erase(group.group_id());
}

uint64_t GroupCoordinator::State::persist(int32_t partition, std::vector<StoredRecord> records,
                                          std::function<void(ErrorCode)> apply,
                                          std::optional<TransactionalProducer> producer) {
  OwnedPartition& owned = partitions.at(partition);
  const uint64_t ownership = owned.ownership;
  const uint64_t number = ++owned.appends_issued;
  std::weak_ptr<State*> weak_self = self;
  store.append(partition, std::move(records), producer,
               [weak_self, partition, ownership, number, apply = std::move(apply)](ErrorCode append_error) {
                 auto alive = weak_self.lock();
                 if (!alive) return;
                 State& state = **alive;
                 auto it = state.partitions.find(partition);
                 // After an unload, its answers went out already (NOT_COORDINATOR).
                 if (it == state.partitions.end() || it->second.ownership != ownership) return;
                 const ErrorCode error = append_error_to_response_error(append_error);
                 if (apply) apply(error);
                 auto waiting = it->second.waiters.find(number);
                 if (waiting != it->second.waiters.end()) {
                   for (auto& answer : waiting->second) {
                     state.outbox.post([answer = std::move(answer), error] { answer(error); });
                   }
                   it->second.waiters.erase(waiting);
                 }
                 state.outbox.flush();
               });
  return number;
}

void GroupCoordinator::State::when_durable(int32_t partition, uint64_t appends_before,
                                           std::function<void(ErrorCode)> answer) {
  OwnedPartition& owned = partitions.at(partition);
  if (owned.appends_issued == appends_before) {
    outbox.post([answer = std::move(answer)] { answer(ErrorCode::None); });
    return;
  }
  owned.waiters[owned.appends_issued].push_back(std::move(answer));
}

void GroupCoordinator::State::settle_offset_changes(int32_t partition, const std::string& group,
                                                    const std::vector<OffsetChange>& changes, ErrorCode error) {
  OffsetTable& offsets = partitions.at(partition).offsets;
  for (const auto& change : changes) {
    if (change.value) offsets.remove_pending(group, change.topic, change.partition);
    if (error != ErrorCode::None) continue;
    if (change.value) {
      offsets.put(group, change.topic, change.partition, *change.value);
    } else {
      offsets.erase(group, change.topic, change.partition);
    }
  }
}

void GroupCoordinator::State::settle_group_deletion(int32_t partition, const std::string& group_id,
                                                    ErrorCode error) {
  Group* group = find_group(partition, group_id);
  if (group == nullptr || !group->is(GroupState::kDead)) return;
  if (error == ErrorCode::None) {
    erase_group(*group);
  } else {
    group->undo_delete(now_ms);
  }
}

void GroupCoordinator::State::schedule(TimerKind kind, const Group& group, const std::string& member_id,
                                       int64_t delay_ms) {
  // At least 1 ms: a timer set while advance() runs fires in a later call,
  // so zero or negative client timeouts cannot spin the shard.
  timers.schedule(TimerKey{group.partition(), kind, group.group_id(), member_id}, now_ms + std::max<int64_t>(delay_ms, 1));
}

void GroupCoordinator::State::cancel(TimerKind kind, const Group& group, const std::string& member_id) {
  timers.cancel(TimerKey{group.partition(), kind, group.group_id(), member_id});
}

void GroupCoordinator::State::reschedule_heartbeat(const Group& group, const Member& member, int64_t timeout_ms) {
  schedule(TimerKind::kSession, group, member.member_id, timeout_ms);
}

void GroupCoordinator::State::advance(int64_t time_ms) {
  observe_time(time_ms);
  while (auto key = timers.pop_due(now_ms)) {
    if (key->kind == TimerKind::kOffsetsRetention) {
      expire_offsets(key->partition);
      timers.schedule(*key, now_ms + std::max<int64_t>(config.offsets_retention_check_interval_ms, 1));
      continue;
    }
    Group* group = find_group(key->partition, key->group_id);
    if (group == nullptr) continue;
    switch (key->kind) {
      case TimerKind::kSession: expire_heartbeat(*group, key->member_id); break;
      case TimerKind::kJoinPhase: on_join_timer(*group); break;
      case TimerKind::kPendingSync: expire_pending_sync(*group); break;
      case TimerKind::kOffsetsRetention: break;
    }
  }
}

}  // namespace freshet::coordinator
