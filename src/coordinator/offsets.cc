// OffsetCommit, OffsetFetch and OffsetDelete. Commits are answered, and
// become visible to fetches, once their records are durable.
#include "coordinator/coordinator_state.h"
#include "coordinator/group_records.h"
#include "coordinator/java_compat.h"

namespace freshet::coordinator {

using protocol::ErrorCode;

namespace {

// OffsetCommit v9+ tells a missing group apart from a stale generation.
constexpr int16_t kFirstVersionWithGroupIdNotFound = 9;

}  // namespace

ErrorCode validate_offset_commit(Group& group, int32_t generation, const std::string& member_id,
                                 const std::optional<std::string>& group_instance_id, bool transactional) {
  if (group.is(GroupState::kDead)) return ErrorCode::CoordinatorNotAvailable;
  // Generation -1: an admin client or a consumer managing its own
  // partitions, allowed while no member uses the group.
  if (generation < 0 && group.is(GroupState::kEmpty)) return ErrorCode::None;
  if (generation >= 0 || !member_id.empty() || group_instance_id) {
    if (const ErrorCode error = group.validate_member(member_id, group_instance_id); error != ErrorCode::None) {
      return error;
    }
    if (generation != group.generation_id()) return ErrorCode::IllegalGeneration;
  } else if (!transactional) {
    return ErrorCode::UnknownMemberId;
  } else {
    // TxnOffsetCommit v0-2 carries no member: a transactional producer may
    // commit for a group it is not a member of.
    return ErrorCode::None;
  }
  // The member knows the new generation but has no assignment yet.
  if (!transactional && group.is(GroupState::kCompletingRebalance)) return ErrorCode::RebalanceInProgress;
  return ErrorCode::None;
}



void GroupCoordinator::State::commit_offsets(const CallContext& ctx, int32_t partition,
                                             const protocol::OffsetCommitRequest& request,
                                             std::function<void(protocol::OffsetCommitResponse)> done) {
  auto answer = [this, &done](protocol::OffsetCommitResponse response) {
    outbox.post([done = std::move(done), response = std::move(response)]() mutable { done(std::move(response)); });
  };
  if (const ErrorCode error = partition_error(partition); error != ErrorCode::None) {
    return answer(offset_commit_failure(request, error));
  }
  Group* group = find_group(partition, request.group_id);
  if (group == nullptr) {
    if (request.generation_id_or_member_epoch >= 0) {
      const ErrorCode error = ctx.api_version >= kFirstVersionWithGroupIdNotFound ? ErrorCode::GroupIdNotFound
                                                                                  : ErrorCode::IllegalGeneration;
      return answer(offset_commit_failure(request, error));
    }
    // A "simple" group: offsets only, no members.
    group = &create_group(partition, request.group_id, now_ms);
  }
  if (const ErrorCode error = validate_offset_commit(*group, request.generation_id_or_member_epoch, request.member_id,
                                                     request.group_instance_id, false);
      error != ErrorCode::None) {
    return answer(offset_commit_failure(request, error));
  }
  // Commits keep a member's session alive, as heartbeats do.
  if (group->is(GroupState::kStable) || group->is(GroupState::kPreparingRebalance)) {
    reschedule_heartbeat(*group, *group->member(request.member_id));
  }

  std::optional<int64_t> expire_timestamp_ms;
  if (request.retention_time_ms != -1) expire_timestamp_ms = java_add(now_ms, request.retention_time_ms);
  protocol::OffsetCommitResponse response;
  std::vector<OffsetChange> changes = offset_changes(
      request.topics, response.topics, config.offset_metadata_max_bytes, [&](const auto& p, std::string metadata) {
        // v1 may carry its own commit timestamp.
        const int64_t commit_timestamp_ms = p.commit_timestamp == -1 ? now_ms : p.commit_timestamp;
        return CommittedOffset{p.committed_offset, p.committed_leader_epoch, std::move(metadata), commit_timestamp_ms,
                               expire_timestamp_ms};
      });
  if (changes.empty()) return answer(std::move(response));

  OwnedPartition& owned = partitions.at(partition);
  const uint64_t appends_before = owned.appends_issued;
  std::vector<StoredRecord> records;
  records.reserve(changes.size());
  for (auto& change : changes) {
    change.value->log_order = appends_before + 1;  // the number persist() gives the append
    records.push_back(offset_record(request.group_id, change));
    owned.offsets.add_pending(request.group_id, change.topic, change.partition);
  }
  persist(partition, std::move(records), [this, partition, group_id = request.group_id, changes](ErrorCode error) {
    settle_offset_changes(partition, group_id, changes, error);
  });
  when_durable(partition, appends_before, [done = std::move(done), response = std::move(response)](ErrorCode error) mutable {
    // A failed append fails every partition of the request.
    if (error != ErrorCode::None) {
      for (auto& topic : response.topics) {
        for (auto& p : topic.partitions) p.error_code = protocol::code(error);
      }
    }
    done(std::move(response));
  });
}

protocol::OffsetFetchResponse::OffsetFetchResponseGroup GroupCoordinator::State::fetch_offsets(
    int32_t partition, const protocol::OffsetFetchRequest::OffsetFetchRequestGroup& request, bool require_stable) {
  protocol::OffsetFetchResponse::OffsetFetchResponseGroup response;
  response.group_id = request.group_id;
  if (const ErrorCode error = partition_error(partition); error != ErrorCode::None) {
    response.error_code = protocol::code(error);
    return response;
  }
  const OwnedPartition& owned = partitions.at(partition);
  const Group* group = find_group(partition, request.group_id);
  const OffsetTable::TopicOffsets* offsets = group == nullptr || group->is(GroupState::kDead)
                                                 ? nullptr
                                                 : owned.offsets.group_offsets(request.group_id);
  // require_stable (KIP-447): a named partition's offset that a transaction
  // or a commit in flight may still change is UNSTABLE_OFFSET_COMMIT, and the
  // client retries (Kafka does not check when every offset is asked for).
  auto fill = [&](auto& out, const std::string& topic, int32_t partition_index, const CommittedOffset* committed) {
    out.partition_index = partition_index;
    if (require_stable && request.topics && (owned.txn_offsets.has_pending(request.group_id, topic, partition_index) ||
                           owned.offsets.has_pending(request.group_id, topic, partition_index))) {
      out.error_code = protocol::code(ErrorCode::UnstableOffsetCommit);
      committed = nullptr;
    }
    out.committed_offset = committed ? committed->offset : -1;
    out.committed_leader_epoch = committed ? committed->leader_epoch : -1;
    out.metadata = committed ? committed->metadata : "";
  };
  if (!request.topics) {
    if (offsets == nullptr) return response;
    for (const auto& [topic, by_partition] : *offsets) {
      auto& topic_response = response.topics.emplace_back();
      topic_response.name = topic;
      for (const auto& [index, committed] : by_partition)
        fill(topic_response.partitions.emplace_back(), topic, index, &committed);
    }
    return response;
  }
  for (const auto& topic : *request.topics) {
    auto& topic_response = response.topics.emplace_back();
    topic_response.name = topic.name;
    const OffsetTable::PartitionOffsets* by_partition = nullptr;
    if (offsets != nullptr) {
      if (auto it = offsets->find(topic.name); it != offsets->end()) by_partition = &it->second;
    }
    for (int32_t index : topic.partition_indexes) {
      const CommittedOffset* committed = nullptr;
      if (by_partition != nullptr) {
        if (auto it = by_partition->find(index); it != by_partition->end()) committed = &it->second;
      }
      fill(topic_response.partitions.emplace_back(), topic.name, index, committed);
    }
  }
  return response;
}

void GroupCoordinator::State::delete_offsets(int32_t partition, const protocol::OffsetDeleteRequest& request,
                                             std::function<void(protocol::OffsetDeleteResponse)> done) {
  auto fail = [&](ErrorCode error) {
    protocol::OffsetDeleteResponse response;
    response.error_code = protocol::code(error);
    outbox.post([done = std::move(done), response = std::move(response)]() mutable { done(std::move(response)); });
  };
  if (request.group_id.empty()) return fail(ErrorCode::InvalidGroupId);
  if (const ErrorCode error = partition_error(partition); error != ErrorCode::None) return fail(error);
  Group* group = find_group(partition, request.group_id);
  if (group == nullptr || group->is(GroupState::kDead)) return fail(ErrorCode::GroupIdNotFound);
  // Members of a non-consumer group use offsets we cannot see into.
  if (!group->is(GroupState::kEmpty) && !group->uses_consumer_protocol()) return fail(ErrorCode::NonEmptyGroup);

  OwnedPartition& owned = partitions.at(partition);
  protocol::OffsetDeleteResponse response;
  std::vector<OffsetChange> tombstones;
  for (const auto& topic : request.topics) {
    auto& topic_response = response.topics.emplace_back();
    topic_response.name = topic.name;
    const bool subscribed = group->is_subscribed_to_topic(topic.name);
    for (const auto& p : topic.partitions) {
      auto& result = topic_response.partitions.emplace_back();
      result.partition_index = p.partition_index;
      if (subscribed) {
        result.error_code = protocol::code(ErrorCode::GroupSubscribedToTopic);
      } else if (owned.offsets.find(request.group_id, topic.name, p.partition_index) != nullptr ||
                 owned.offsets.has_pending(request.group_id, topic.name, p.partition_index)) {
        tombstones.push_back(OffsetChange{topic.name, p.partition_index, std::nullopt});
      }
    }
  }
  auto answer = [done = std::move(done), response = std::move(response)](ErrorCode error) mutable {
    if (error != ErrorCode::None) {
      response = protocol::OffsetDeleteResponse{};
      response.error_code = protocol::code(error);
    }
    done(std::move(response));
  };
  if (tombstones.empty()) {
    outbox.post([answer = std::move(answer)]() mutable { answer(ErrorCode::None); });
    return;
  }
  std::vector<StoredRecord> records;
  for (const auto& change : tombstones) records.push_back(offset_record(request.group_id, change));
  const uint64_t appends_before = owned.appends_issued;
  persist(partition, std::move(records),
          [this, partition, group_id = request.group_id, tombstones](ErrorCode error) {
            settle_offset_changes(partition, group_id, tombstones, error);
          });
  when_durable(partition, appends_before, std::move(answer));
}

}  // namespace freshet::coordinator
