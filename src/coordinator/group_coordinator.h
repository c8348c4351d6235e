// The group coordinator of one shard: Kafka's classic consumer-group protocol
// (JoinGroup/SyncGroup/Heartbeat/LeaveGroup) and committed offsets for every
// group whose `__consumer_offsets` partition this shard owns. A state machine
// with no threads and no clock of its own: every call passes `now_ms` and runs
// on the owning shard; answers that must wait (a join waiting for the other
// members, anything that persists records) arrive later through `done`, on the
// same shard. Durable state is written through GroupStore as records in
// Kafka's __consumer_offsets key/value formats and rebuilt with replay().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "coordinator/call_context.h"
#include "coordinator/group_config.h"
#include "coordinator/group_store.h"
#include "protocol/messages.h"

namespace freshet::coordinator {

// The __consumer_offsets partition holding `group_id`:
// abs(java String.hashCode(group_id)) % partition_count, as Kafka computes it.
int32_t group_partition(const std::string& group_id, int32_t partition_count);

// An OffsetCommit (TxnOffsetCommit) answer failing every partition of
// `request` with `error`.
template <typename Response, typename Request>
Response commit_failure(const Request& request, protocol::ErrorCode error) {
  Response response;
  for (const auto& topic : request.topics) {
    auto& out = response.topics.emplace_back();
    out.name = topic.name;
    for (const auto& p : topic.partitions) {
      auto& result = out.partitions.emplace_back();
      result.partition_index = p.partition_index;
      result.error_code = protocol::code(error);
    }
  }
  return response;
}

inline protocol::OffsetCommitResponse offset_commit_failure(const protocol::OffsetCommitRequest& request,
                                                            protocol::ErrorCode error) {
  return commit_failure<protocol::OffsetCommitResponse>(request, error);
}
inline protocol::TxnOffsetCommitResponse txn_offset_commit_failure(const protocol::TxnOffsetCommitRequest& request,
                                                                   protocol::ErrorCode error) {
  return commit_failure<protocol::TxnOffsetCommitResponse>(request, error);
}

class GroupCoordinator {
 public:
  GroupCoordinator(GroupConfig config, GroupStore& store);
  ~GroupCoordinator();
  GroupCoordinator(const GroupCoordinator&) = delete;
  GroupCoordinator& operator=(const GroupCoordinator&) = delete;

  // --- ownership of __consumer_offsets partitions -------------------------
  // Groups of a partition this shard does not own get NOT_COORDINATOR; of a
  // partition between begin_loading and finish_loading, COORDINATOR_LOAD_IN_PROGRESS.
  void begin_loading(int32_t partition);
  // Feeds one record of the partition, in log order. A null value is a
  // tombstone. Records that cannot be decoded, or that belong to another
  // coordinator (e.g. KIP-848 groups), are skipped and counted.
  // `commit_timestamp_ms` is the record's timestamp; a record of a
  // transactional batch names its producer (-1: none) and waits for the
  // transaction's marker (complete_transaction).
  void replay(int32_t partition, std::span<const uint8_t> key, std::optional<std::span<const uint8_t>> value,
              int64_t commit_timestamp_ms, int64_t transactional_producer_id = -1);
  void finish_loading(int32_t partition, int64_t now_ms);
  // Drops every group of the partition (it moved away or was deleted).
  // Requests still waiting are answered NOT_COORDINATOR.
  void unload(int32_t partition);
  // True while some partition is between begin_loading and finish_loading
  // (Kafka's ListGroups then answers COORDINATOR_LOAD_IN_PROGRESS).
  bool any_partition_loading() const;
  // Records replay() skipped: undecodable, or of another coordinator.
  int64_t skipped_records() const;

  // --- classic group membership -------------------------------------------
  // `partition` is group_partition(request.group_id, ...) as the caller routed it.
  void join_group(const CallContext& ctx, int32_t partition, const protocol::JoinGroupRequest& request,
                  std::function<void(protocol::JoinGroupResponse)> done);
  void sync_group(const CallContext& ctx, int32_t partition, const protocol::SyncGroupRequest& request,
                  std::function<void(protocol::SyncGroupResponse)> done);
  protocol::HeartbeatResponse heartbeat(const CallContext& ctx, int32_t partition,
                                        const protocol::HeartbeatRequest& request);
  // Handles v0-2 (one member_id) and v3+ (a batch of members by id/instance id).
  void leave_group(const CallContext& ctx, int32_t partition, const protocol::LeaveGroupRequest& request,
                   std::function<void(protocol::LeaveGroupResponse)> done);

  // --- offsets ------------------------------------------------------------
  void commit_offsets(const CallContext& ctx, int32_t partition, const protocol::OffsetCommitRequest& request,
                      std::function<void(protocol::OffsetCommitResponse)> done);
  // One group of an OffsetFetch (the v8+ shape; the handler converts v0-7).
  // topics == nullopt: every committed offset of the group.
  protocol::OffsetFetchResponse::OffsetFetchResponseGroup fetch_offsets(
      const CallContext& ctx, int32_t partition, const protocol::OffsetFetchRequest::OffsetFetchRequestGroup& group,
      bool require_stable);
  void delete_offsets(const CallContext& ctx, int32_t partition, const protocol::OffsetDeleteRequest& request,
                      std::function<void(protocol::OffsetDeleteResponse)> done);

  // --- transactional offsets ----------------------------------------------
  // TxnOffsetCommit: the offsets are written as a transactional batch of the
  // request's producer and take effect when its transaction commits;
  // OffsetFetch with require_stable answers UNSTABLE_OFFSET_COMMIT for them
  // until it ends. The server has checked the producer with the transaction
  // coordinator (KIP-890) and the log fences stale epochs.
  void txn_commit_offsets(const CallContext& ctx, int32_t partition, const protocol::TxnOffsetCommitRequest& request,
                          uint64_t verification_guard, std::function<void(protocol::TxnOffsetCommitResponse)> done);
  // An end-transaction marker of `producer_id` is durable in (or was replayed
  // from) the partition: its pending offsets there are committed or dropped.
  void complete_transaction(int32_t partition, int64_t producer_id, bool commit);

  // --- administration (one group at a time; the handler fans out) ---------
  protocol::DescribeGroupsResponse::DescribedGroup describe_group(const CallContext& ctx, int32_t partition,
                                                                  const std::string& group_id);
  // Every group on this shard's loaded partitions whose state is in
  // `states_filter` (empty: all; names as Kafka prints them, case-insensitive).
  std::vector<protocol::ListGroupsResponse::ListedGroup> list_groups(const std::vector<std::string>& states_filter) const;
  void delete_group(const CallContext& ctx, int32_t partition, const std::string& group_id,
                    std::function<void(protocol::DeleteGroupsResponse::DeletableGroupResult)> done);

  // --- time ---------------------------------------------------------------
  // The earliest moment advance() has work to do (session expiry, a join
  // phase ending, the initial rebalance delay, offset retention), if any.
  std::optional<int64_t> next_deadline_ms() const;
  // Runs every timeout due at `now_ms`.
  void advance(int64_t now_ms);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace freshet::coordinator
