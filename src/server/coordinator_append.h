// How the coordinators write their records: one batch appended to their
// internal partition on this shard (checked as a coordinator's write: no
// sequence checks), answered once committed as acks=all commits (with
// min.insync.replicas in the ISR). Shard thread only.
#pragma once

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "coordinator/stored_record.h"
#include "protocol/errors.h"
#include "protocol/record_batch_builder.h"
#include "storage/transaction_verification.h"

namespace freshet::server {

class Partition;

// Appends `records` to `partition` (nullptr: not on this shard, answered
// NOT_LEADER_OR_FOLLOWER) as one batch built with `options` (a transactional
// one carries the `verification` its TxnOffsetCommit got); done(error)
// gets the raw append error, None once the batch is committed
// (Partition::await_committed). `done` may run
// inside this call (an error) or later. `what` names the coordinator in log lines.
void append_coordinator_records(const std::shared_ptr<Partition>& partition, const std::vector<coordinator::StoredRecord>& records,
                                const protocol::RecordBatchOptions& options, storage::VerificationGuard verification,
                                std::string_view what, std::function<void(protocol::ErrorCode)> done);

}  // namespace freshet::server
