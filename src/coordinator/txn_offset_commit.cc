// TxnOffsetCommit and the end of transactions on a __consumer_offsets
// partition (Kafka's GroupCoordinator.handleTxnCommitOffsets /
// GroupMetadataManager.handleTxnCompletion): offsets a transaction commits
// wait in PendingTxnOffsets until its marker arrives.
#include "coordinator/coordinator_state.h"
#include "coordinator/group_records.h"

namespace freshet::coordinator {

using protocol::ErrorCode;


void GroupCoordinator::State::txn_commit_offsets(const CallContext& ctx, int32_t partition,
                                                 const protocol::TxnOffsetCommitRequest& request,
                                                 uint64_t verification_guard,
                                                 std::function<void(protocol::TxnOffsetCommitResponse)> done) {
  (void)ctx;
  auto answer = [this, &done](protocol::TxnOffsetCommitResponse response) {
    outbox.post([done = std::move(done), response = std::move(response)]() mutable { done(std::move(response)); });
  };
  if (request.group_id.empty()) return answer(txn_offset_commit_failure(request, ErrorCode::InvalidGroupId));
  if (const ErrorCode error = partition_error(partition); error != ErrorCode::None) {
    return answer(txn_offset_commit_failure(request, error));
  }
  Group* group = find_group(partition, request.group_id);
  if (group == nullptr) group = &create_group(partition, request.group_id, now_ms);
  if (const ErrorCode error = validate_offset_commit(*group, request.generation_id, request.member_id,
                                                     request.group_instance_id, true);
      error != ErrorCode::None) {
    return answer(txn_offset_commit_failure(request, error));
  }

  OwnedPartition& owned = partitions.at(partition);
  const uint64_t log_order = owned.appends_issued + 1;  // the number persist() gives the append
  protocol::TxnOffsetCommitResponse response;
  std::vector<OffsetChange> changes = offset_changes(
      request.topics, response.topics, config.offset_metadata_max_bytes, [&](const auto& p, std::string metadata) {
        return CommittedOffset{p.committed_offset, p.committed_leader_epoch, std::move(metadata), now_ms, std::nullopt,
                               log_order};
      });
  if (changes.empty()) return answer(std::move(response));

  std::vector<StoredRecord> records;
  records.reserve(changes.size());
  for (const auto& change : changes) {
    records.push_back(offset_record(request.group_id, change));
    owned.txn_offsets.add(request.producer_id, request.group_id, change.topic, change.partition, *change.value);
  }
  const uint64_t appends_before = owned.appends_issued;
  persist(
      partition, std::move(records),
      [this, partition, producer_id = request.producer_id, group_id = request.group_id, changes](ErrorCode error) {
        PendingTxnOffsets& pending = partitions.at(partition).txn_offsets;
        for (const auto& change : changes)
          pending.appended(producer_id, group_id, change.topic, change.partition, error == ErrorCode::None);
      },
      TransactionalProducer{request.producer_id, request.producer_epoch, verification_guard});
  when_durable(partition, appends_before,
               [done = std::move(done), response = std::move(response)](ErrorCode error) mutable {
                 if (error != ErrorCode::None) {
                   for (auto& topic : response.topics) {
                     for (auto& p : topic.partitions) p.error_code = protocol::code(error);
                   }
                 }
                 done(std::move(response));
               });
}

void GroupCoordinator::State::complete_transaction(int32_t partition, int64_t producer_id, bool commit) {
  auto it = partitions.find(partition);
  if (it == partitions.end()) return;
  it->second.txn_offsets.complete(producer_id, commit, it->second.offsets);
}

}  // namespace freshet::coordinator
