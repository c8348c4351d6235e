// Taking over a __consumer_offsets partition: its records are replayed into
// groups and offsets (latest record wins, tombstones remove), then loaded
// members get fresh sessions so clients reconnecting after a restart carry on
// without a rebalance. Unloading answers everything still waiting.
#include "coordinator/coordinator_state.h"
#include "coordinator/group_records.h"

namespace freshet::coordinator {

using protocol::ErrorCode;

namespace {

// A group as its GroupMetadataValue describes it: Stable with its members,
// or Empty. Members without a protocol (a malformed record) are not loaded.
std::unique_ptr<Group> loaded_group(const std::string& group_id, int32_t partition,
                                    const protocol::GroupMetadataValue& value, Outbox& outbox) {
  std::optional<std::string> protocol_type;
  if (!value.protocol_type.empty()) protocol_type = value.protocol_type;
  const bool with_members = !value.members.empty() && value.protocol && protocol_type;
  auto group = std::make_unique<Group>(group_id, partition, with_members ? GroupState::kStable : GroupState::kEmpty,
                                       0, outbox);
  if (with_members) {
    for (const auto& stored : value.members) {
      const bool duplicate =
          group->has_member(stored.member_id) ||
          (stored.group_instance_id && group->static_member_id(*stored.group_instance_id) != nullptr);
      if (duplicate) continue;
      Member member;
      member.member_id = stored.member_id;
      member.group_instance_id = stored.group_instance_id;
      member.client_id = stored.client_id;
      member.client_host = stored.client_host;
      // Records older than v1 have no rebalance timeout.
      member.rebalance_timeout_ms = stored.rebalance_timeout == -1 ? stored.session_timeout : stored.rebalance_timeout;
      member.session_timeout_ms = stored.session_timeout;
      member.protocol_type = *protocol_type;
      member.protocols.push_back(MemberProtocol{*value.protocol, stored.subscription});
      member.assignment = stored.assignment;
      group->add(std::move(member), nullptr);
    }
  }
  std::optional<int64_t> state_timestamp_ms;
  if (value.current_state_timestamp != -1) state_timestamp_ms = value.current_state_timestamp;
  group->restore(value.generation, protocol_type, with_members ? value.protocol : std::nullopt, value.leader,
                 state_timestamp_ms);
  return group;
}

}  // namespace

void GroupCoordinator::State::begin_loading(int32_t partition) {
  unload(partition);
  OwnedPartition& owned = partitions[partition];
  owned.ownership = next_ownership++;
}

void GroupCoordinator::State::replay(int32_t partition, std::span<const uint8_t> key,
                                     std::optional<std::span<const uint8_t>> value, int64_t record_timestamp_ms,
                                     int64_t transactional_producer_id) {
  auto it = partitions.find(partition);
  if (it == partitions.end() || !it->second.loading) {
    ++skipped_records;
    return;
  }
  OwnedPartition& owned = it->second;
  CoordinatorRecord record;
  try {
    record = decode_record(key, value);
  } catch (const protocol::DecodeError&) {
    ++skipped_records;
    return;
  }
  if (auto* offset = std::get_if<OffsetRecord>(&record)) {
    if (!offset->value) {
      owned.offsets.erase(offset->group, offset->topic, offset->partition);
      return;
    }
    // Offsets without a group record belong to a "simple" group.
    if (owned.groups.count(offset->group) == 0) create_group(partition, offset->group, record_timestamp_ms);
    offset->value->log_order = ++owned.appends_issued;
    if (transactional_producer_id >= 0) {
      // Waits for its transaction's marker, further on in the log.
      owned.txn_offsets.add(transactional_producer_id, offset->group, offset->topic, offset->partition,
                            std::move(*offset->value));
      owned.txn_offsets.appended(transactional_producer_id, offset->group, offset->topic, offset->partition, true);
      return;
    }
    owned.offsets.put(offset->group, offset->topic, offset->partition, std::move(*offset->value));
  } else if (auto* group = std::get_if<GroupRecord>(&record)) {
    if (!group->value) {
      owned.groups.erase(group->group);
      return;
    }
    owned.groups[group->group] = loaded_group(group->group, partition, *group->value, outbox);
  } else {
    ++skipped_records;  // another coordinator's record type
  }
}

void GroupCoordinator::State::finish_loading(int32_t partition) {
  auto it = partitions.find(partition);
  if (it == partitions.end() || !it->second.loading) return;
  it->second.loading = false;
  for (auto& [id, group] : it->second.groups) {
    for (const auto& [member_id, member] : group->members()) reschedule_heartbeat(*group, member);
    // group.max.size may have been lowered since.
    if (group->num_members() > static_cast<size_t>(std::max(config.max_size, 0))) prepare_rebalance(*group);
  }
  timers.schedule(TimerKey{partition, TimerKind::kOffsetsRetention, {}, {}},
                  now_ms + std::max<int64_t>(config.offsets_retention_check_interval_ms, 1));
}

void GroupCoordinator::State::unload(int32_t partition) {
  auto it = partitions.find(partition);
  if (it == partitions.end()) return;
  OwnedPartition& owned = it->second;
  for (auto& [id, group] : owned.groups) {
    for (const auto& [member_id, unused] : group->members()) {
      Member& member = *group->member(member_id);
      protocol::JoinGroupResponse join_answer;
      join_answer.member_id = member_id;
      join_answer.error_code = protocol::code(ErrorCode::NotCoordinator);
      group->complete_join(member, std::move(join_answer));
      protocol::SyncGroupResponse sync_answer;
      sync_answer.error_code = protocol::code(ErrorCode::NotCoordinator);
      group->complete_sync(member, std::move(sync_answer));
    }
  }
  for (auto& [number, answers] : owned.waiters) {
    for (auto& answer : answers) {
      outbox.post([answer = std::move(answer)] { answer(ErrorCode::NotCoordinator); });
    }
  }
  timers.cancel_partition(partition);
  partitions.erase(it);
}

}  // namespace freshet::coordinator
