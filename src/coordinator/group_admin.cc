// DescribeGroups, ListGroups and DeleteGroups.
#include <algorithm>
#include <cctype>
#include <set>

#include "coordinator/coordinator_state.h"
#include "coordinator/group_records.h"

namespace freshet::coordinator {

using protocol::ErrorCode;

protocol::DescribeGroupsResponse::DescribedGroup GroupCoordinator::State::describe_group(int32_t partition,
                                                                                         const std::string& group_id) {
  protocol::DescribeGroupsResponse::DescribedGroup described;
  described.group_id = group_id;
  if (const ErrorCode error = partition_error(partition); error != ErrorCode::None) {
    described.error_code = protocol::code(error);
    return described;
  }
  const Group* group = find_group(partition, group_id);
  if (group == nullptr) {
    // Kafka describes an unknown group as Dead, without error.
    described.group_state = std::string(state_name(GroupState::kDead));
    return described;
  }
  described.group_state = std::string(state_name(group->state()));
  described.protocol_type = group->protocol_type().value_or("");
  // Only a Stable group shows its protocol and the members' metadata.
  const bool stable = group->is(GroupState::kStable);
  if (stable) described.protocol_data = group->protocol_name().value_or("");
  for (const auto& [id, member] : group->members()) {
    auto& out = described.members.emplace_back();
    out.member_id = id;
    out.group_instance_id = member.group_instance_id;
    out.client_id = member.client_id;
    out.client_host = member.client_host;
    if (stable) {
      if (const auto* metadata = member.metadata(described.protocol_data)) out.member_metadata = *metadata;
    }
    out.member_assignment = member.assignment;
  }
  return described;
}

std::vector<protocol::ListGroupsResponse::ListedGroup> GroupCoordinator::State::list_groups(
    const std::vector<std::string>& states_filter) const {
  auto normalized = [](std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    const auto last = text.find_last_not_of(" \t\r\n");
    std::string out(first == std::string_view::npos ? std::string_view{} : text.substr(first, last - first + 1));
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
  };
  std::set<std::string> wanted;
  for (const auto& state : states_filter) wanted.insert(normalized(state));

  std::vector<protocol::ListGroupsResponse::ListedGroup> listed;
  for (const auto& [partition, owned] : partitions) {
    if (owned.loading) continue;
    for (const auto& [id, group] : owned.groups) {
      if (group->is(GroupState::kDead)) continue;  // being deleted
      const std::string_view state = state_name(group->state());
      if (!wanted.empty() && wanted.count(normalized(state)) == 0) continue;
      auto& out = listed.emplace_back();
      out.group_id = id;
      out.protocol_type = group->protocol_type().value_or("");
      out.group_state = std::string(state);
      out.group_type = "classic";
    }
  }
  return listed;
}

void GroupCoordinator::State::delete_group(
    int32_t partition, const std::string& group_id,
    std::function<void(protocol::DeleteGroupsResponse::DeletableGroupResult)> done) {
  auto answer = [group_id, done = std::move(done)](ErrorCode error) {
    protocol::DeleteGroupsResponse::DeletableGroupResult result;
    result.group_id = group_id;
    result.error_code = protocol::code(error);
    done(std::move(result));
  };
  auto fail = [&](ErrorCode error) { outbox.post([answer, error] { answer(error); }); };
  if (const ErrorCode error = partition_error(partition); error != ErrorCode::None) return fail(error);
  Group* group = find_group(partition, group_id);
  if (group == nullptr || group->is(GroupState::kDead)) return fail(ErrorCode::GroupIdNotFound);
  if (!group->is(GroupState::kEmpty)) return fail(ErrorCode::NonEmptyGroup);

  OwnedPartition& owned = partitions.at(partition);
  std::vector<OffsetChange> tombstones;
  std::vector<StoredRecord> records;
  for (auto& [topic, index] : owned.offsets.committed_partitions(group_id)) {
    tombstones.push_back(OffsetChange{topic, index, std::nullopt});
    records.push_back(offset_record(group_id, tombstones.back()));
  }
  records.push_back(group_tombstone(group_id));
  // Dead until the tombstones are durable: requests for it are turned away.
  group->transition_to(GroupState::kDead, now_ms);
  const uint64_t appends_before = owned.appends_issued;
  persist(partition, std::move(records), [this, partition, group_id, tombstones](ErrorCode error) {
    settle_offset_changes(partition, group_id, tombstones, error);
    settle_group_deletion(partition, group_id, error);
  });
  when_durable(partition, appends_before, std::move(answer));
}

}  // namespace freshet::coordinator
