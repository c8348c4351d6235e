#include "coordinator/group_coordinator.h"

#include <cstdlib>

#include "coordinator/coordinator_state.h"
#include "coordinator/java_compat.h"

namespace freshet::coordinator {

namespace {

// Hands out the answers a public call produced, once it is done.
class FlushOnReturn {
 public:
  explicit FlushOnReturn(Outbox& outbox) : outbox_(outbox) {}
  ~FlushOnReturn() { outbox_.flush(); }
  FlushOnReturn(const FlushOnReturn&) = delete;
  FlushOnReturn& operator=(const FlushOnReturn&) = delete;

 private:
  Outbox& outbox_;
};

}  // namespace

int32_t group_partition(const std::string& group_id, int32_t partition_count) {
  if (partition_count <= 0) return 0;
  // Kafka's Utils.abs: Integer.MIN_VALUE maps to 0.
  const int32_t hash = java_string_hash(group_id);
  const int32_t magnitude = hash == INT32_MIN ? 0 : std::abs(hash);
  return magnitude % partition_count;
}

GroupCoordinator::GroupCoordinator(GroupConfig config, GroupStore& store)
    : state_(std::make_unique<State>(config, store)) {}

GroupCoordinator::~GroupCoordinator() = default;

void GroupCoordinator::begin_loading(int32_t partition) {
  FlushOnReturn flush(state_->outbox);
  state_->begin_loading(partition);
}

void GroupCoordinator::replay(int32_t partition, std::span<const uint8_t> key,
                              std::optional<std::span<const uint8_t>> value, int64_t commit_timestamp_ms,
                              int64_t transactional_producer_id) {
  state_->replay(partition, key, value, commit_timestamp_ms, transactional_producer_id);
}

void GroupCoordinator::finish_loading(int32_t partition, int64_t now_ms) {
  FlushOnReturn flush(state_->outbox);
  state_->observe_time(now_ms);
  state_->finish_loading(partition);
}

void GroupCoordinator::unload(int32_t partition) {
  FlushOnReturn flush(state_->outbox);
  state_->unload(partition);
}

bool GroupCoordinator::any_partition_loading() const {
  for (const auto& [partition, owned] : state_->partitions) {
    if (owned.loading) return true;
  }
  return false;
}

int64_t GroupCoordinator::skipped_records() const { return state_->skipped_records; }

void GroupCoordinator::join_group(const CallContext& ctx, int32_t partition, const protocol::JoinGroupRequest& request,
                                  std::function<void(protocol::JoinGroupResponse)> done) {
  FlushOnReturn flush(state_->outbox);
  state_->observe_time(ctx.now_ms);
  state_->join_group(ctx, partition, request, std::move(done));
}

void GroupCoordinator::sync_group(const CallContext& ctx, int32_t partition, const protocol::SyncGroupRequest& request,
                                  std::function<void(protocol::SyncGroupResponse)> done) {
  FlushOnReturn flush(state_->outbox);
  state_->observe_time(ctx.now_ms);
  state_->sync_group(ctx, partition, request, std::move(done));
}

protocol::HeartbeatResponse GroupCoordinator::heartbeat(const CallContext& ctx, int32_t partition,
                                                        const protocol::HeartbeatRequest& request) {
  FlushOnReturn flush(state_->outbox);
  state_->observe_time(ctx.now_ms);
  return state_->heartbeat(partition, request);
}

void GroupCoordinator::leave_group(const CallContext& ctx, int32_t partition,
                                   const protocol::LeaveGroupRequest& request,
                                   std::function<void(protocol::LeaveGroupResponse)> done) {
  FlushOnReturn flush(state_->outbox);
  state_->observe_time(ctx.now_ms);
  state_->leave_group(ctx, partition, request, std::move(done));
}

void GroupCoordinator::commit_offsets(const CallContext& ctx, int32_t partition,
                                      const protocol::OffsetCommitRequest& request,
                                      std::function<void(protocol::OffsetCommitResponse)> done) {
  FlushOnReturn flush(state_->outbox);
  state_->observe_time(ctx.now_ms);
  state_->commit_offsets(ctx, partition, request, std::move(done));
}

protocol::OffsetFetchResponse::OffsetFetchResponseGroup GroupCoordinator::fetch_offsets(
    const CallContext& ctx, int32_t partition, const protocol::OffsetFetchRequest::OffsetFetchRequestGroup& group,
    bool require_stable) {
  FlushOnReturn flush(state_->outbox);
  state_->observe_time(ctx.now_ms);
  return state_->fetch_offsets(partition, group, require_stable);
}

void GroupCoordinator::delete_offsets(const CallContext& ctx, int32_t partition,
                                      const protocol::OffsetDeleteRequest& request,
                                      std::function<void(protocol::OffsetDeleteResponse)> done) {
  FlushOnReturn flush(state_->outbox);
  state_->observe_time(ctx.now_ms);
  state_->delete_offsets(partition, request, std::move(done));
}

void GroupCoordinator::txn_commit_offsets(const CallContext& ctx, int32_t partition,
                                          const protocol::TxnOffsetCommitRequest& request, uint64_t verification_guard,
                                          std::function<void(protocol::TxnOffsetCommitResponse)> done) {
  FlushOnReturn flush(state_->outbox);
  state_->observe_time(ctx.now_ms);
  state_->txn_commit_offsets(ctx, partition, request, verification_guard, std::move(done));
}

void GroupCoordinator::complete_transaction(int32_t partition, int64_t producer_id, bool commit) {
  state_->complete_transaction(partition, producer_id, commit);
}

protocol::DescribeGroupsResponse::DescribedGroup GroupCoordinator::describe_group(const CallContext& ctx,
                                                                                  int32_t partition,
                                                                                  const std::string& group_id) {
  state_->observe_time(ctx.now_ms);
  return state_->describe_group(partition, group_id);
}

std::vector<protocol::ListGroupsResponse::ListedGroup> GroupCoordinator::list_groups(
    const std::vector<std::string>& states_filter) const {
  return state_->list_groups(states_filter);
}

void GroupCoordinator::delete_group(const CallContext& ctx, int32_t partition, const std::string& group_id,
                                    std::function<void(protocol::DeleteGroupsResponse::DeletableGroupResult)> done) {
  FlushOnReturn flush(state_->outbox);
  state_->observe_time(ctx.now_ms);
  state_->delete_group(partition, group_id, std::move(done));
}

std::optional<int64_t> GroupCoordinator::next_deadline_ms() const { return state_->timers.next_deadline_ms(); }

void GroupCoordinator::advance(int64_t now_ms) {
  FlushOnReturn flush(state_->outbox);
  state_->advance(now_ms);
}

}  // namespace freshet::coordinator
