// Taking over a __transaction_state partition: its records are replayed
// into transactions (latest record wins, tombstones remove); once loaded,
// transactions left in PrepareCommit/PrepareAbort are completed. Unloading
// drops everything the partition holds.
#include <spdlog/spdlog.h>

#include "coordinator/txn_coordinator_state.h"
#include "coordinator/txn_records.h"

namespace freshet::coordinator {

void TransactionCoordinator::State::begin_loading(int32_t partition, int32_t coordinator_epoch) {
  unload(partition);
  TxnPartition& owned = partitions[partition];
  owned.coordinator_epoch = coordinator_epoch;
  owned.ownership = next_ownership++;
}

void TransactionCoordinator::State::replay(int32_t partition, std::span<const uint8_t> key,
                                           std::optional<std::span<const uint8_t>> value) {
  auto it = partitions.find(partition);
  if (it == partitions.end() || !it->second.loading) {
    ++skipped_records;
    return;
  }
  std::optional<TxnLogRecord> record;
  try {
    record = decode_txn_record(key, value);
  } catch (const protocol::DecodeError&) {
    ++skipped_records;
    return;
  }
  if (!record) {
    ++skipped_records;  // an unknown key version
    return;
  }
  auto& transactions = it->second.transactions;
  transactions.erase(record->transactional_id);
  if (record->image) {
    const std::string& id = record->transactional_id;
    transactions.emplace(id, Transaction(id, std::move(*record->image)));
  }
}

void TransactionCoordinator::State::finish_loading(int32_t partition) {
  auto it = partitions.find(partition);
  if (it == partitions.end() || !it->second.loading) return;
  TxnPartition& owned = it->second;
  owned.loading = false;
  size_t unfinished = 0;
  for (auto& [id, txn] : owned.transactions) {
    if (!is_preparing(txn.state())) continue;
    ++unfinished;
    start_markers(partition, txn);
  }
  // Only partitions that held something are worth a line at info.
  spdlog::log(owned.transactions.empty() ? spdlog::level::debug : spdlog::level::info,
              "Loaded {} transactional ids of __transaction_state-{} at coordinator epoch {}; completing {}",
              owned.transactions.size(), partition, owned.coordinator_epoch, unfinished);
  if (!next_abort_check_ms) {
    next_abort_check_ms = now_ms + std::max(config.abort_timed_out_transactions_interval_ms, 1);
  }
  if (!next_expiration_check_ms) {
    next_expiration_check_ms = now_ms + std::max(config.remove_expired_transactional_ids_interval_ms, 1);
  }
}

void TransactionCoordinator::State::unload(int32_t partition) {
  auto it = partitions.find(partition);
  if (it == partitions.end()) return;
  auto held = std::move(it->second.held_adds);
  partitions.erase(it);
  drop_markers(partition);
  // Answered NOT_COORDINATOR, the partition being gone.
  for (auto& [transactional_id, calls] : held) {
    for (auto& call : calls) call();
  }
  if (partitions.empty()) {
    next_abort_check_ms.reset();
    next_expiration_check_ms.reset();
  }
}

}  // namespace freshet::coordinator
