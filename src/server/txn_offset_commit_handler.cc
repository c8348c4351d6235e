#include <map>

#include "server/group_calls.h"
#include "server/handlers.h"
#include "server/txn_partition_checks.h"

namespace freshet::server {

namespace {
using protocol::ErrorCode;
using protocol::TxnOffsetCommitRequest;
using protocol::TxnOffsetCommitResponse;
}  // namespace

// The offsets are written to the group's coordinator in the producer's
// transaction and count once its commit marker reaches that partition. As
// Kafka does (KIP-890 part 1), the transaction coordinator first confirms the
// group's __consumer_offsets partition is in the producer's ongoing
// transaction, so a commit delayed past its transaction's end is refused;
// for v5 (transaction version 2, no AddOffsetsToTxn) it adds the partition.
void handle_txn_offset_commit(const RequestPtr& request, protocol::Reader& body) {
  auto req = std::make_shared<TxnOffsetCommitRequest>();
  req->decode(body, request->version());
  Broker& broker = request->broker;
  const bool verify = broker.config().get_bool("transaction.partition.verification.enable");
  call_group<TxnOffsetCommitResponse>(
      request, req->group_id,
      [&broker, req, verify](coordinator::GroupCoordinator& coordinator,
                                      const coordinator::CallContext& context, int32_t partition,
                                      std::function<void(TxnOffsetCommitResponse)> done) {
        const TxnPartitionCheck check = txn_offset_commit_partition_check(context.api_version);
        if (!verify && check != TxnPartitionCheck::kAdd) {
          return coordinator.txn_commit_offsets(context, partition, *req, 0, std::move(done));
        }
        const unsigned group_shard = net::ShardSet::current();
        const cluster::TopicInfo* offsets = broker.image()->topic(kOffsetsTopic);
        auto log_partition = offsets ? broker.partitions(group_shard).find(offsets->id, partition) : nullptr;
        if (!log_partition) return done(coordinator::txn_offset_commit_failure(*req, ErrorCode::CoordinatorLoadInProgress));
        auto guard = log_partition->log().begin_verification(req->producer_id, req->producer_epoch, 0, context.now_ms);
        const coordinator::TopicPartition offsets_partition{std::string(kOffsetsTopic), partition};
        check_txn_partitions(
            broker, check, req->transactional_id, req->producer_id,
            req->producer_epoch, {offsets_partition}, ErrorCode::CoordinatorLoadInProgress,
            [&broker, req, context, partition, guard, group_shard, offsets_partition,
             done = std::move(done)](TxnPartitionErrors errors) {
              const ErrorCode error = errors.at(offsets_partition);
              if (error != ErrorCode::None) return done(coordinator::txn_offset_commit_failure(*req, error));
              GroupShard& groups = broker.groups(group_shard);
              groups.coordinator().txn_commit_offsets(context, partition, *req, guard.value, done);
              groups.rearm();
            });
      },
      [req] { return coordinator::txn_offset_commit_failure(*req, ErrorCode::NotCoordinator); },
      [request](TxnOffsetCommitResponse resp) { request->reply(resp); });
}

}  // namespace freshet::server
