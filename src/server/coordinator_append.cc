#include "server/coordinator_append.h"

#include <spdlog/spdlog.h>

#include "server/clock.h"
#include "server/partition.h"

namespace freshet::server {

namespace {
constexpr int16_t kProduceVersion = 9;  // any v3+ Produce accepts a RecordBatch v2
}  // namespace

void append_coordinator_records(const std::shared_ptr<Partition>& partition, const std::vector<coordinator::StoredRecord>& records,
                                const protocol::RecordBatchOptions& options, storage::VerificationGuard verification,
                                std::string_view what, std::function<void(protocol::ErrorCode)> done) {
  if (!partition || !partition->is_leader()) return done(protocol::ErrorCode::NotLeaderOrFollower);
  if (partition->isr().size() < static_cast<size_t>(partition->policy().min_insync_replicas))
    return done(protocol::ErrorCode::NotEnoughReplicas);
  const int64_t now = now_ms();
  protocol::RecordBatchBuilder builder(options);
  for (const auto& record : records) {
    protocol::BytesView value = record.value ? protocol::BytesView(*record.value) : protocol::BytesView();
    builder.append(now, protocol::BytesView(record.key), value);
  }
  auto batch = std::make_shared<std::vector<uint8_t>>(builder.build());
  AppendOutcome outcome = partition->append(protocol::Records{*batch, batch, std::nullopt}, kProduceVersion, now,
                                            storage::AppendChecks{storage::AppendOrigin::kCoordinator, verification});
  if (outcome.error != protocol::ErrorCode::None) {
    spdlog::warn("writing {} records to {}-{} failed: {}", what, partition->topic(), partition->index(), outcome.message);
    return done(outcome.error);
  }
  partition->await_committed(outcome.last_offset, std::move(done));
}

}  // namespace freshet::server
