// PartitionLog: the producer state around the log (the checks themselves run
// in append_batch()): rebuilding it from snapshots and batch headers,
// snapshots, KIP-890 verification, the last stable offset and the aborted
// transactions of read_committed fetches.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>
#include <system_error>

#include "storage/batch_scanner.h"
#include "storage/log_file_names.h"
#include "storage/partition_log.h"
#include "storage/segment.h"

namespace freshet::storage {

namespace {
// Replays read batch headers through a small buffer, so that the records of
// big batches are skipped rather than read.
constexpr size_t kReplayBufferBytes = 4096;
}  // namespace

bool PartitionLog::needs_verification(const protocol::RecordBatchHeader& batch) const {
  return producers_.needs_verification(batch);
}

bool PartitionLog::starts_transaction(const protocol::RecordBatchHeader& batch) const {
  return producers_.starts_transaction(batch);
}

VerificationGuard PartitionLog::begin_verification(int64_t producer_id, int16_t producer_epoch, int32_t base_sequence,
                                                   int64_t now_ms) {
  return producers_.begin_verification(producer_id, producer_epoch, base_sequence, now_ms);
}

std::optional<int64_t> PartitionLog::first_unstable_offset() const {
  auto offset = producers_.first_unstable_offset();
  if (!offset) return std::nullopt;
  return std::max(*offset, log_start_offset_);
}

std::vector<AbortedTxn> PartitionLog::aborted_transactions(int64_t fetch_offset, int64_t upper_bound_offset) {
  assert(!closed_);
  std::vector<AbortedTxn> out;
  if (fetch_offset >= upper_bound_offset) return out;
  for (size_t i = segment_index_for(fetch_offset); i < segments_.size(); ++i) {
    if (segments_[i]->txn_index().collect(fetch_offset, upper_bound_offset, out)) break;
  }
  return out;
}

void PartitionLog::record_producer_batch(const protocol::RecordBatchHeader& header,
                                         const std::optional<protocol::EndTxnMarker>& marker,
                                         Segment* txn_index_segment) {
  if (!marker) return producers_.apply_data_batch(header);
  auto completed =
      producers_.apply_end_txn_marker(header.producer_id, header.producer_epoch, *marker, header.base_offset,
                                      header.max_timestamp);
  if (!completed || !completed->aborted || !txn_index_segment) return;
  TransactionIndex& index = txn_index_segment->txn_index();
  const bool new_file = !index.handle();
  index.append({completed->producer_id, completed->first_offset, completed->last_offset,
                completed->last_stable_offset});
  sync_later(index.handle());
  if (new_file) sync_later(dir_handle_);
}

void PartitionLog::replay_stored_batch(const protocol::RecordBatchHeader& header, std::span<const uint8_t> batch,
                                       Segment* txn_index_segment) {
  ++producer_state_load_.batches_replayed;
  if (header.producer_id < 0) return;
  if (!header.is_control()) return record_producer_batch(header, std::nullopt, txn_index_segment);
  std::optional<protocol::EndTxnMarker> marker;
  try {
    marker = end_txn_marker_of(batch);
  } catch (const protocol::DecodeError& e) {
    spdlog::warn("{}: skipping the control batch at offset {}: {}", dir_.string(), header.base_offset, e.what());
    return;
  }
  if (marker) record_producer_batch(header, marker, txn_index_segment);
}

void PartitionLog::replay_batches(int64_t from_offset, int64_t end_offset) {
  for (size_t i = segment_index_for(from_offset); i < segments_.size() && segments_[i]->base_offset() < end_offset;
       ++i) {
    Segment& segment = *segments_[i];
    auto first = segment.find_offset(from_offset);
    if (!first) continue;
    BatchScanner scanner(*segment.log_file(), first->position, segment.size_bytes(), kReplayBufferBytes);
    while (auto batch = scanner.next()) {
      const protocol::RecordBatchHeader& h = batch->header;
      if (h.base_offset >= end_offset) return;
      replay_stored_batch(h, h.is_control() ? scanner.current_bytes() : std::span<const uint8_t>{}, nullptr);
    }
  }
}

void PartitionLog::load_producer_state(int64_t end_offset, int64_t now_ms) {
  producer_state_load_ = {};
  producers_.clear();
  int64_t from_offset = log_start_offset_;
  for (size_t i = snapshot_offsets_.size(); i-- > 0;) {
    int64_t offset = snapshot_offsets_[i];
    if (offset > end_offset || offset < log_start_offset_) continue;
    try {
      producers_.load(read_producer_snapshot(snapshot_path(offset)), now_ms);
      producer_state_load_.snapshot_offset = offset;
      from_offset = offset;
      break;
    } catch (const CorruptSnapshotError& e) {
      spdlog::warn("{}: deleting producer snapshot {}: {}", dir_.string(), offset, e.what());
      delete_snapshots_if([offset](int64_t o) { return o == offset; });
    }
  }
  replay_batches(from_offset, end_offset);
  spdlog::debug("{}: producer state at offset {}: {} producers from snapshot {} and {} batches", dir_.string(),
                end_offset, producers_.size(), producer_state_load_.snapshot_offset,
                producer_state_load_.batches_replayed);
}

std::filesystem::path PartitionLog::snapshot_path(int64_t offset) const {
  return dir_ / segment_file_name(offset, kProducerSnapshotFileSuffix);
}

void PartitionLog::take_snapshot() {
  if (!snapshot_offsets_.empty() && snapshot_offsets_.back() == log_end_offset_) return;
  assert(snapshot_offsets_.empty() || snapshot_offsets_.back() < log_end_offset_);
  write_producer_snapshot(snapshot_path(log_end_offset_), producers_.snapshot());
  snapshot_offsets_.push_back(log_end_offset_);
  sync_later(dir_handle_);
}

void PartitionLog::delete_snapshots_if(const std::function<bool(int64_t)>& doomed) {
  size_t before = snapshot_offsets_.size();
  std::erase_if(snapshot_offsets_, [&](int64_t offset) {
    if (!doomed(offset)) return false;
    std::error_code ec;
    std::filesystem::remove(snapshot_path(offset), ec);
    if (ec) spdlog::warn("cannot delete {}: {}", snapshot_path(offset).string(), ec.message());
    return true;
  });
  if (snapshot_offsets_.size() != before) sync_later(dir_handle_);
}

void PartitionLog::prune_snapshots() {
  delete_snapshots_if([this](int64_t offset) { return offset > log_end_offset_ || offset < log_start_offset_; });
  std::vector<int64_t> bases;
  for (const auto& segment : segments_) bases.push_back(segment->base_offset());
  auto stray = [&](int64_t offset) { return !std::binary_search(bases.begin(), bases.end(), offset); };
  auto latest_stray = std::find_if(snapshot_offsets_.rbegin(), snapshot_offsets_.rend(), stray);
  int64_t kept_stray = latest_stray != snapshot_offsets_.rend() && *latest_stray > bases.back() ? *latest_stray : -1;
  delete_snapshots_if([&](int64_t offset) { return stray(offset) && offset != kept_stray; });
}

}  // namespace freshet::storage
