// Before a transactional Produce or TxnOffsetCommit writes, the transaction
// coordinator confirms each partition is in the producer's ongoing
// transaction (KIP-890 part 1), or, for a producer of transaction version 2
// (Produce v12, TxnOffsetCommit v5), adds it (part 2: such a producer sends
// no AddPartitionsToTxn). What the client then sees follows Kafka's
// AddPartitionsToTxnManager and ReplicaManager, by request version.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "coordinator/topic_partition.h"
#include "protocol/errors.h"

namespace freshet::server {

class Broker;

// Kafka's TransactionSupportedOperation.
enum class TxnPartitionCheck : uint8_t {
  kVerifyWithOldErrors,  // clients that know no TRANSACTION_ABORTABLE: INVALID_TXN_STATE instead
  kVerify,
  kAdd,
};
TxnPartitionCheck produce_partition_check(int16_t produce_version);
TxnPartitionCheck txn_offset_commit_partition_check(int16_t txn_offset_commit_version);

using TxnPartitionErrors = std::map<coordinator::TopicPartition, protocol::ErrorCode>;

// Runs `check` of `partitions` on the coordinator of `transactional_id` and
// calls done(errors) on the caller's shard, one error per partition as the
// client is to see it: a coordinator that cannot answer becomes
// `unavailable` (the request kind's retriable error), as does
// CONCURRENT_TRANSACTIONS for a verification; an add retries
// CONCURRENT_TRANSACTIONS (the previous transaction's markers) every 20 ms
// for up to 100 ms before answering it.
void check_txn_partitions(Broker& broker, TxnPartitionCheck check, const std::string& transactional_id,
                          int64_t producer_id, int16_t producer_epoch, const coordinator::TopicPartitionSet& partitions,
                          protocol::ErrorCode unavailable, std::function<void(TxnPartitionErrors)> done);

}  // namespace freshet::server
