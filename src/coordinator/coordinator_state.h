// The inside of GroupCoordinator (internal to this layer). Its methods are
// spread over files by job: coordinator_state.cc (partitions, persistence,
// timers), join_group.cc, rebalance.cc (join phase, session expiry),
// sync_group.cc, heartbeat_and_leave.cc, offsets.cc, group_admin.cc,
// group_loading.cc and offset_expiration.cc. The public methods in
// group_coordinator.cc check the partition and the request, then call in.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "coordinator/deadline_queue.h"
#include "coordinator/group.h"
#include "coordinator/group_coordinator.h"
#include "coordinator/java_compat.h"
#include "coordinator/offset_table.h"
#include "coordinator/outbox.h"
#include "coordinator/pending_txn_offsets.h"

namespace freshet::coordinator {

// How long a member that joined may wait in the join phase before it is
// dropped (Kafka's fixed classic-group new-member join timeout).
inline constexpr int32_t kNewMemberJoinTimeoutMs = 5 * 60 * 1000;

// Kafka's translation of a failed __consumer_offsets append into the error a
// client understands (e.g. NOT_LEADER_OR_FOLLOWER -> NOT_COORDINATOR).
protocol::ErrorCode append_error_to_response_error(protocol::ErrorCode append_error);

// Kafka's ClassicGroup.validateOffsetCommit: may this member commit offsets
// for the group (OffsetCommit, or TxnOffsetCommit when `transactional`)?
protocol::ErrorCode validate_offset_commit(Group& group, int32_t generation, const std::string& member_id,
                                           const std::optional<std::string>& group_instance_id, bool transactional);

// The offsets an OffsetCommit or TxnOffsetCommit request commits: a response
// entry per partition, OFFSET_METADATA_TOO_LARGE where the metadata exceeds
// `max_metadata_bytes` (Java string length), and an OffsetChange with
// make_offset(request_partition, metadata) for every other partition.
template <typename RequestTopics, typename ResponseTopics, typename MakeOffset>
std::vector<OffsetChange> offset_changes(const RequestTopics& topics, ResponseTopics& response_topics,
                                         int32_t max_metadata_bytes, MakeOffset make_offset) {
  std::vector<OffsetChange> changes;
  for (const auto& topic : topics) {
    auto& topic_response = response_topics.emplace_back();
    topic_response.name = topic.name;
    for (const auto& p : topic.partitions) {
      auto& result = topic_response.partitions.emplace_back();
      result.partition_index = p.partition_index;
      std::string metadata = p.committed_metadata.value_or("");
      if (java_string_length(metadata) > static_cast<size_t>(std::max(max_metadata_bytes, 0))) {
        result.error_code = protocol::code(protocol::ErrorCode::OffsetMetadataTooLarge);
        continue;
      }
      changes.push_back(OffsetChange{topic.name, p.partition_index, make_offset(p, std::move(metadata))});
    }
  }
  return changes;
}

// One __consumer_offsets partition this shard owns or is loading.
struct OwnedPartition {
  bool loading = true;
  uint64_t ownership = 0;  // new for each begin_loading: store answers of an earlier one are stale
  std::map<std::string, std::unique_ptr<Group>> groups;
  OffsetTable offsets;
  PendingTxnOffsets txn_offsets;
  // Appends numbered 1, 2, ... in log order; records replayed at load count
  // too, so the numbers order every offset record (CommittedOffset::log_order).
  uint64_t appends_issued = 0;
  // Answers waiting for append number N (when_durable).
  std::map<uint64_t, std::vector<std::function<void(protocol::ErrorCode)>>> waiters;
};

struct GroupCoordinator::State {
  State(GroupConfig config, GroupStore& store);

  GroupConfig config;
  GroupStore& store;
  Outbox outbox;
  DeadlineQueue timers;
  std::map<int32_t, OwnedPartition> partitions;
  uint64_t next_ownership = 1;
  int64_t now_ms = 0;  // the latest time any call passed in
  int64_t skipped_records = 0;
  // Store answers hold a weak_ptr to this: they are dropped once the
  // coordinator is gone.
  std::shared_ptr<State*> self;

  // --- coordinator_state.cc ---
  void observe_time(int64_t time_ms) { now_ms = std::max(now_ms, time_ms); }
  // None if the partition is owned and loaded, else NOT_COORDINATOR or
  // COORDINATOR_LOAD_IN_PROGRESS.
  protocol::ErrorCode partition_error(int32_t partition) const;
  // The partition if it is owned and loaded.
  OwnedPartition* active(int32_t partition);
  Group* find_group(int32_t partition, const std::string& group_id);
  Group& create_group(int32_t partition, const std::string& group_id, int64_t created_ms);
  void erase_group(Group& group);
  // Appends `records` to the partition. When the store answers, `apply`
  // gets the client-facing error if this shard still has the same
  // ownership of the partition (it is dropped otherwise); then the
  // when_durable() waiters of this append are answered.
  // `producer` makes it a transactional batch (TxnOffsetCommit). Returns the
  // append's number.
  uint64_t persist(int32_t partition, std::vector<StoredRecord> records, std::function<void(protocol::ErrorCode)> apply,
                   std::optional<TransactionalProducer> producer = std::nullopt);
  // Calls `answer` once the last append issued on the partition is durable,
  // or (with None) at once if there was none since `appends_before`. Unload
  // answers NOT_COORDINATOR.
  void when_durable(int32_t partition, uint64_t appends_before, std::function<void(protocol::ErrorCode)> answer);
  // Applies offset records of `group` that were just appended: durable ones
  // (error None) enter the table; pending commits stop being pending.
  void settle_offset_changes(int32_t partition, const std::string& group, const std::vector<OffsetChange>& changes,
                             protocol::ErrorCode error);
  // The group tombstone of a group made Dead was just appended: the group
  // goes away if it is durable, else it is Empty again.
  void settle_group_deletion(int32_t partition, const std::string& group_id, protocol::ErrorCode error);
  void schedule(TimerKind kind, const Group& group, const std::string& member_id, int64_t delay_ms);
  void cancel(TimerKind kind, const Group& group, const std::string& member_id = {});
  void reschedule_heartbeat(const Group& group, const Member& member, int64_t timeout_ms);
  void reschedule_heartbeat(const Group& group, const Member& member) {
    reschedule_heartbeat(group, member, member.session_timeout_ms);
  }
  void advance(int64_t time_ms);

  // --- join_group.cc ---
  void join_group(const CallContext& ctx, int32_t partition, const protocol::JoinGroupRequest& request,
                  JoinCallback done);
  void join_new_member(const CallContext& ctx, Group& group, const protocol::JoinGroupRequest& request,
                       int32_t rebalance_timeout_ms, JoinCallback done);
  void join_existing_member(const CallContext& ctx, Group& group, const protocol::JoinGroupRequest& request,
                            int32_t rebalance_timeout_ms, JoinCallback done);
  void add_member_then_rebalance_or_complete_join(const CallContext& ctx, Group& group,
                                                  const protocol::JoinGroupRequest& request,
                                                  const std::string& member_id, int32_t rebalance_timeout_ms,
                                                  JoinCallback done);
  void update_member_then_rebalance_or_complete_join(Group& group, Member& member,
                                                     const protocol::JoinGroupRequest& request,
                                                     int32_t rebalance_timeout_ms, JoinCallback done);
  void update_static_member_then_rebalance_or_complete_join(const CallContext& ctx, Group& group,
                                                            const protocol::JoinGroupRequest& request,
                                                            const std::string& old_member_id,
                                                            const std::string& new_member_id,
                                                            int32_t rebalance_timeout_ms, JoinCallback done);
  bool accept_joining_member(const Group& group, const std::string& member_id) const;

  // --- rebalance.cc ---
  void maybe_prepare_rebalance_or_complete_join(Group& group);
  void prepare_rebalance(Group& group);
  void maybe_complete_join_phase(Group& group);
  void complete_join_phase(Group& group);
  void on_join_timer(Group& group);
  void expire_heartbeat(Group& group, const std::string& member_id);
  void remove_member_and_update_group(Group& group, const std::string& member_id);

  // --- sync_group.cc ---
  void sync_group(const CallContext& ctx, int32_t partition, const protocol::SyncGroupRequest& request,
                  SyncCallback done);
  void remove_pending_sync_member(Group& group, const std::string& member_id);
  void schedule_pending_sync(Group& group);
  void expire_pending_sync(Group& group);
  // Completing -> Stable once the leader's assignment is durable.
  void set_and_propagate_assignment(Group& group, const std::map<std::string, std::vector<uint8_t>>& assignments);
  void reset_and_propagate_assignment_with_error(Group& group, protocol::ErrorCode error);
  void propagate_assignment(Group& group, protocol::ErrorCode error);

  // --- heartbeat_and_leave.cc ---
  protocol::HeartbeatResponse heartbeat(int32_t partition, const protocol::HeartbeatRequest& request);
  void leave_group(const CallContext& ctx, int32_t partition, const protocol::LeaveGroupRequest& request,
                   std::function<void(protocol::LeaveGroupResponse)> done);

  // --- offsets.cc ---
  void commit_offsets(const CallContext& ctx, int32_t partition, const protocol::OffsetCommitRequest& request,
                      std::function<void(protocol::OffsetCommitResponse)> done);
  protocol::OffsetFetchResponse::OffsetFetchResponseGroup fetch_offsets(
      int32_t partition, const protocol::OffsetFetchRequest::OffsetFetchRequestGroup& request, bool require_stable);
  void delete_offsets(int32_t partition, const protocol::OffsetDeleteRequest& request,
                      std::function<void(protocol::OffsetDeleteResponse)> done);

  // --- txn_offset_commit.cc ---
  void txn_commit_offsets(const CallContext& ctx, int32_t partition, const protocol::TxnOffsetCommitRequest& request,
                          uint64_t verification_guard, std::function<void(protocol::TxnOffsetCommitResponse)> done);
  void complete_transaction(int32_t partition, int64_t producer_id, bool commit);

  // --- group_admin.cc ---
  protocol::DescribeGroupsResponse::DescribedGroup describe_group(int32_t partition, const std::string& group_id);
  std::vector<protocol::ListGroupsResponse::ListedGroup> list_groups(const std::vector<std::string>& states_filter) const;
  void delete_group(int32_t partition, const std::string& group_id,
                    std::function<void(protocol::DeleteGroupsResponse::DeletableGroupResult)> done);

  // --- group_loading.cc ---
  void begin_loading(int32_t partition);
  void replay(int32_t partition, std::span<const uint8_t> key, std::optional<std::span<const uint8_t>> value,
              int64_t record_timestamp_ms, int64_t transactional_producer_id);
  void finish_loading(int32_t partition);
  void unload(int32_t partition);

  // --- offset_expiration.cc ---
  // Tombstones the expired offsets of the partition's groups (KIP-211) and
  // deletes the Empty groups left without offsets.
  void expire_offsets(int32_t partition);
};

}  // namespace freshet::coordinator
