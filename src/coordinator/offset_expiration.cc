// Offsets retention (KIP-211): offsets of a group nobody uses expire
// offsets.retention.minutes after the group became Empty (or, for groups
// without a protocol, after their commit); an Empty group left without
// offsets is deleted.
#include "coordinator/coordinator_state.h"
#include "coordinator/group_records.h"
#include "coordinator/java_compat.h"

namespace freshet::coordinator {

using protocol::ErrorCode;

namespace {

// From when a group's offsets age (Kafka's ClassicGroup.offsetExpirationCondition).
enum class RetentionStart {
  kNever,              // members use the offsets
  kCommit,             // each offset's commit timestamp
  kEmptySinceOrCommit  // when the group became Empty (commit timestamp if unknown)
};

RetentionStart retention_start(const Group& group) {
  if (!group.protocol_type()) return RetentionStart::kCommit;
  if (group.is(GroupState::kEmpty)) return RetentionStart::kEmptySinceOrCommit;
  // A Stable consumer group whose subscriptions are known lets the offsets
  // of topics it no longer reads expire.
  if (group.uses_consumer_protocol() && group.knows_subscribed_topics() && group.is(GroupState::kStable)) {
    return RetentionStart::kCommit;
  }
  return RetentionStart::kNever;
}

}  // namespace

void GroupCoordinator::State::expire_offsets(int32_t partition) {
  OwnedPartition* owned = active(partition);
  if (owned == nullptr) return;
  std::vector<StoredRecord> records;
  std::vector<std::pair<std::string, std::vector<OffsetChange>>> expired_by_group;
  std::vector<std::string> deleted_groups;

  for (auto& [group_id, group] : owned->groups) {
    if (group->is(GroupState::kDead)) continue;
    bool all_expired = !owned->offsets.has_pending(group_id) && !owned->txn_offsets.has_pending(group_id);
    std::vector<OffsetChange> expired;
    if (const auto* offsets = owned->offsets.group_offsets(group_id)) {
      const RetentionStart start = retention_start(*group);
      if (start == RetentionStart::kNever) all_expired = false;
      for (const auto& [topic, by_partition] : *offsets) {
        if (start == RetentionStart::kNever || group->is_subscribed_to_topic(topic)) {
          all_expired = false;
          continue;
        }
        for (const auto& [index, committed] : by_partition) {
          int64_t since_ms = committed.commit_timestamp_ms;
          if (start == RetentionStart::kEmptySinceOrCommit && group->current_state_timestamp_ms()) {
            since_ms = *group->current_state_timestamp_ms();
          }
          const bool is_expired = committed.expire_timestamp_ms ? now_ms >= *committed.expire_timestamp_ms
                                                                : java_subtract(now_ms, since_ms) >= config.offsets_retention_ms;
          // A commit on its way replaces the offset: keep it.
          if (is_expired && !owned->offsets.has_pending(group_id, topic, index)) {
            expired.push_back(OffsetChange{topic, index, std::nullopt});
            records.push_back(offset_record(group_id, expired.back()));
          } else {
            all_expired = false;
          }
        }
      }
    }
    if (!expired.empty()) expired_by_group.emplace_back(group_id, std::move(expired));
    if (all_expired && group->is(GroupState::kEmpty)) {
      records.push_back(group_tombstone(group_id));
      group->transition_to(GroupState::kDead, now_ms);
      deleted_groups.push_back(group_id);
    }
  }
  if (records.empty()) return;
  persist(partition, std::move(records),
          [this, partition, expired_by_group = std::move(expired_by_group),
           deleted_groups = std::move(deleted_groups)](ErrorCode error) {
            for (const auto& [group_id, changes] : expired_by_group) {
              settle_offset_changes(partition, group_id, changes, error);
            }
            for (const auto& group_id : deleted_groups) settle_group_deletion(partition, group_id, error);
          });
}

}  // namespace freshet::coordinator
