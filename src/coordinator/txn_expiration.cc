// The coordinator's periodic work: aborting transactions open longer than
// their timeout (Kafka's abortTimedOutTransactions) and removing idle
// transactional ids (removeExpiredTransactionalIds).
#include <cassert>
#include <vector>

#include <spdlog/spdlog.h>

#include "coordinator/java_compat.h"
#include "coordinator/txn_coordinator_state.h"
#include "coordinator/txn_records.h"

namespace freshet::coordinator {

using protocol::ErrorCode;

namespace {

// Tombstones per append: Kafka fills batches up to the partition's
// max.message.bytes (1 MiB by default); this stays well inside it.
constexpr size_t kMaxTombstoneBytesPerAppend = 512 * 1024;

}  // namespace

void TransactionCoordinator::State::abort_timed_out_transactions() {
  for (auto& [partition, owned] : partitions) {
    if (owned.loading) continue;
    for (auto& [id, txn] : owned.transactions) {
      const TxnImage& current = txn.current();
      if (txn.busy() || current.state != TxnState::kOngoing) continue;
      if (java_add(current.start_timestamp_ms, current.timeout_ms) >= now_ms) continue;
      spdlog::info("Aborting the transaction of transactional id {} (producer id {}): open longer than its {} ms "
                   "timeout",
                   id, current.producer_id, current.timeout_ms);
      fence_and_abort(partition, txn, [id](ErrorCode error) {
        if (error != ErrorCode::None) {
          spdlog::warn("Aborting the timed-out transaction of transactional id {} failed with error {}", id,
                       protocol::code(error));
        }
      });
    }
  }
}

void TransactionCoordinator::State::expire_transactional_ids() {
  const int64_t expired_before_ms = java_subtract(now_ms, config.transactional_id_expiration_ms);
  for (auto& [partition, owned] : partitions) {
    if (owned.loading) continue;
    std::vector<StoredRecord> tombstones;
    std::vector<std::string> ids;
    size_t batch_bytes = 0;
    auto flush = [&, partition = partition] {
      if (ids.empty()) return;
      spdlog::info("Expiring {} idle transactional ids of __transaction_state-{}", ids.size(), partition);
      append(partition, std::move(tombstones), [ids = std::move(ids)](ErrorCode error, TxnPartition* owned) {
        if (owned == nullptr) return;
        for (const auto& id : ids) {
          auto it = owned->transactions.find(id);
          assert(it != owned->transactions.end() && it->second.pending() &&
                 it->second.pending()->state == TxnState::kDead);
          if (error == ErrorCode::None) {
            owned->transactions.erase(it);
          } else {
            it->second.abandon_transition();
          }
        }
      });
      tombstones.clear();
      ids.clear();
      batch_bytes = 0;
    };
    for (auto& [id, txn] : owned.transactions) {
      const TxnImage& current = txn.current();
      if (txn.busy() || !is_expiration_allowed(current.state) || current.last_update_timestamp_ms > expired_before_ms) {
        continue;
      }
      txn.prepare_dead();
      tombstones.push_back(txn_tombstone(id));
      batch_bytes += tombstones.back().key.size();
      ids.push_back(id);
      if (batch_bytes >= kMaxTombstoneBytesPerAppend) flush();
    }
    flush();
  }
}

}  // namespace freshet::coordinator
