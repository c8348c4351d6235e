#include "storage/producer_state.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>
#include <climits>

#include "protocol/batch_records.h"
#include "storage/evict_oldest.h"

namespace freshet::storage {

namespace {

// Sequences wrap from INT32_MAX to 0 (Kafka's DefaultRecordBatch helpers).
int32_t increment_sequence(int32_t sequence, int32_t increment) {
  if (sequence > INT32_MAX - increment) return increment - (INT32_MAX - sequence) - 1;
  return sequence + increment;
}
int32_t decrement_sequence(int32_t sequence, int32_t decrement) {
  if (sequence < decrement) return INT32_MAX - (decrement - sequence) + 1;
  return sequence - decrement;
}
bool in_sequence(int32_t last_sequence, int32_t next_sequence) {
  return int64_t{next_sequence} == int64_t{last_sequence} + 1 || (next_sequence == 0 && last_sequence == INT32_MAX);
}

int32_t last_sequence_of(const protocol::RecordBatchHeader& batch) {
  if (batch.base_sequence == protocol::kNoSequence) return protocol::kNoSequence;
  return increment_sequence(batch.base_sequence, batch.last_offset_delta);
}

ProducerCheck rejected(AppendStatus status, std::string message) {
  return {status, std::move(message), {}};
}

// A marker batch holds one small record.
constexpr size_t kMaxMarkerBatchBytes = 64 * 1024;

}  // namespace

std::optional<protocol::EndTxnMarker> end_txn_marker_of(std::span<const uint8_t> batch) {
  std::vector<protocol::Record> records = protocol::decode_records(batch, kMaxMarkerBatchBytes);
  if (records.empty()) return std::nullopt;
  return protocol::parse_end_txn_marker(records.front());
}

void RecentBatches::add(const BatchMetadata& batch) {
  ring_[next_] = batch;
  next_ = static_cast<uint8_t>((next_ + 1) % kBatchesToRetain);
  if (count_ < kBatchesToRetain) ++count_;
}

const BatchMetadata* RecentBatches::find(int32_t first_sequence, int32_t last_sequence) const {
  for (size_t i = 0; i < count_; ++i) {
    const BatchMetadata& batch = at(i);
    if (batch.first_sequence == first_sequence && batch.last_sequence == last_sequence) return &batch;
  }
  return nullptr;
}

ProducerStateTable::ProducerStateTable(std::string partition, const LogConfig& config)
    : partition_(std::move(partition)), config_(config), verifications_(config.max_producer_ids) {
  assert(config_.max_producer_ids > 0);
}

void ProducerStateTable::set_config(const LogConfig& config) {
  assert(config.max_producer_ids > 0);
  config_ = config;
  verifications_.set_max_entries(config.max_producer_ids);
}

const ProducerStateEntry* ProducerStateTable::find(int64_t producer_id) const {
  auto it = producers_.find(producer_id);
  return it == producers_.end() ? nullptr : &it->second;
}

bool ProducerStateTable::starts_transaction(const protocol::RecordBatchHeader& batch) const {
  if (!batch.is_transactional() || batch.is_control()) return false;
  const ProducerStateEntry* entry = find(batch.producer_id);
  return !(entry && entry->in_transaction() && entry->producer_epoch == batch.producer_epoch);
}

bool ProducerStateTable::needs_verification(const protocol::RecordBatchHeader& batch) const {
  return config_.transaction_verification_enabled && starts_transaction(batch);
}

VerificationGuard ProducerStateTable::begin_verification(int64_t producer_id, int16_t producer_epoch,
                                                         int32_t base_sequence, int64_t now_ms) {
  return verifications_.begin(producer_id, producer_epoch, base_sequence, now_ms);
}

ProducerCheck ProducerStateTable::check_data_batch(const protocol::RecordBatchHeader& batch, int64_t first_offset,
                                                   AppendOrigin origin, VerificationGuard guard) const {
  assert(batch.producer_id >= 0 && !batch.is_control());
  const ProducerStateEntry* entry = find(batch.producer_id);
  const int16_t current_epoch = entry ? entry->producer_epoch : protocol::kNoProducerEpoch;
  const int32_t last_sequence = last_sequence_of(batch);

  if (origin == AppendOrigin::kClient && entry && entry->producer_epoch == batch.producer_epoch) {
    if (const BatchMetadata* original = entry->batches.find(batch.base_sequence, last_sequence))
      return {AppendStatus::kDuplicate, {}, *original};
  }
  if (origin != AppendOrigin::kReplication && needs_verification(batch) &&
      !verifications_.matches(batch.producer_id, guard))
    return rejected(AppendStatus::kInvalidTxnState, "Record was not part of an ongoing transaction");

  if (batch.producer_epoch < current_epoch) {
    std::string message = fmt::format(
        "Epoch of producer {} at offset {} in {} is {}, which is smaller than the last seen epoch {}",
        batch.producer_id, first_offset, partition_, batch.producer_epoch, current_epoch);
    if (origin != AppendOrigin::kReplication) return rejected(AppendStatus::kInvalidProducerEpoch, std::move(message));
    spdlog::warn("{}", message);
  }

  if (origin == AppendOrigin::kClient) {
    const TransactionVerifications::Entry* verification = verifications_.find(batch.producer_id);
    if (verification && batch.base_sequence > verification->lowest_sequence)
      return rejected(AppendStatus::kOutOfOrderSequence,
                      fmt::format("Out of order sequence number for producer {} at offset {} in partition {}: {} "
                                  "(incoming seq. number), {} (earliest seen sequence)",
                                  batch.producer_id, first_offset, partition_, batch.base_sequence,
                                  verification->lowest_sequence));
    if (batch.producer_epoch != current_epoch) {
      if (batch.base_sequence != 0 && current_epoch != protocol::kNoProducerEpoch)
        return rejected(AppendStatus::kOutOfOrderSequence,
                        fmt::format("Invalid sequence number for new epoch of producer {} at offset {} in partition "
                                    "{}: {} (request epoch), {} (seq. number), {} (current producer epoch)",
                                    batch.producer_id, first_offset, partition_, batch.producer_epoch,
                                    batch.base_sequence, current_epoch));
    } else {
      // An unknown producer (KIP-360: its state expired or was never here) may start anywhere.
      int32_t current_last_sequence = entry ? entry->last_sequence() : protocol::kNoSequence;
      if (current_epoch != protocol::kNoProducerEpoch && !in_sequence(current_last_sequence, batch.base_sequence))
        return rejected(AppendStatus::kOutOfOrderSequence,
                        fmt::format("Out of order sequence number for producer {} at offset {} in partition {}: {} "
                                    "(incoming seq. number), {} (current end sequence number)",
                                    batch.producer_id, first_offset, partition_, batch.base_sequence,
                                    current_last_sequence));
    }
  }

  if (origin != AppendOrigin::kReplication && entry && entry->in_transaction() && !batch.is_transactional())
    return rejected(AppendStatus::kInvalidTxnState,
                    fmt::format("Expected transactional write from producer {} at offset {} in partition {}",
                                batch.producer_id, first_offset, partition_));
  return {};
}

ProducerCheck ProducerStateTable::check_end_txn_marker(int64_t producer_id, int16_t producer_epoch,
                                                       const protocol::EndTxnMarker& marker, int64_t offset,
                                                       AppendOrigin origin) const {
  assert(producer_id >= 0);
  const ProducerStateEntry* entry = find(producer_id);
  if (!entry) return {};
  if (producer_epoch < entry->producer_epoch) {
    std::string message =
        fmt::format("Epoch of producer {} at offset {} in {} is {}, which is smaller than the last seen epoch {}",
                    producer_id, offset, partition_, producer_epoch, entry->producer_epoch);
    if (origin != AppendOrigin::kReplication) return rejected(AppendStatus::kInvalidProducerEpoch, std::move(message));
    spdlog::warn("{}", message);
  }
  if (marker.coordinator_epoch < entry->coordinator_epoch) {
    std::string message = fmt::format(
        "Invalid coordinator epoch for producerId {} at offset {} in partition {}: {} (zombie), {} (current)",
        producer_id, offset, partition_, marker.coordinator_epoch, entry->coordinator_epoch);
    if (origin != AppendOrigin::kReplication) return rejected(AppendStatus::kCoordinatorFenced, std::move(message));
    spdlog::info("{}", message);
  }
  return {};
}

ProducerStateEntry& ProducerStateTable::entry_for(int64_t producer_id) {
  auto it = producers_.find(producer_id);
  if (it != producers_.end()) return it->second;
  if (producers_.size() >= config_.max_producer_ids) {
    size_t evicted = evict_oldest(
        producers_, config_.max_producer_ids / 8 + 1, [](const ProducerStateEntry& e) { return e.last_timestamp; },
        [](const ProducerStateEntry& e) { return !e.in_transaction(); });
    if (evicted > 0)
      spdlog::warn("{}: {} producers reach the bound of {}; expired the {} idle ones seen longest ago", partition_,
                   producers_.size() + evicted, config_.max_producer_ids, evicted);
  }
  return producers_[producer_id];
}

void ProducerStateTable::set_epoch(ProducerStateEntry& entry, int16_t producer_epoch) {
  if (entry.producer_epoch == producer_epoch) return;
  entry.producer_epoch = producer_epoch;
  entry.batches.clear();  // sequences restart with a new epoch
}

void ProducerStateTable::apply_data_batch(const protocol::RecordBatchHeader& batch) {
  assert(batch.producer_id >= 0 && !batch.is_control());
  verifications_.on_batch(batch.producer_id, batch.producer_epoch, batch.is_transactional());
  ProducerStateEntry& entry = entry_for(batch.producer_id);
  set_epoch(entry, batch.producer_epoch);
  entry.batches.add({batch.base_sequence, last_sequence_of(batch), batch.base_offset, batch.last_offset(),
                     batch.max_timestamp});
  entry.last_timestamp = batch.max_timestamp;
  if (batch.is_transactional() && !entry.in_transaction()) {
    entry.current_txn_first_offset = batch.base_offset;
    bool inserted = ongoing_txns_.emplace(batch.base_offset, batch.producer_id).second;
    assert(inserted);
    (void)inserted;
  }
}

std::optional<CompletedTxn> ProducerStateTable::apply_end_txn_marker(int64_t producer_id, int16_t producer_epoch,
                                                                     const protocol::EndTxnMarker& marker,
                                                                     int64_t offset, int64_t timestamp_ms) {
  assert(producer_id >= 0);
  verifications_.on_batch(producer_id, producer_epoch, /*transactional=*/true);
  ProducerStateEntry& entry = entry_for(producer_id);
  std::optional<CompletedTxn> completed;
  if (entry.in_transaction()) {
    auto own = ongoing_txns_.find(entry.current_txn_first_offset);
    assert(own != ongoing_txns_.end() && own->second == producer_id);
    // The earliest transaction still open once this one ends bounds the LSO.
    auto other = ongoing_txns_.begin() == own ? std::next(own) : ongoing_txns_.begin();
    int64_t last_stable_offset = other == ongoing_txns_.end() ? offset + 1 : other->first;
    completed = CompletedTxn{producer_id, entry.current_txn_first_offset, offset, last_stable_offset,
                             marker.type == protocol::ControlRecordType::kAbort};
    ongoing_txns_.erase(own);
  }
  set_epoch(entry, producer_epoch);
  entry.coordinator_epoch = marker.coordinator_epoch;
  entry.current_txn_first_offset = -1;
  entry.last_timestamp = timestamp_ms;
  return completed;
}

std::optional<int64_t> ProducerStateTable::first_unstable_offset() const {
  if (ongoing_txns_.empty()) return std::nullopt;
  return ongoing_txns_.begin()->first;
}

bool ProducerStateTable::expired(const ProducerStateEntry& entry, int64_t now_ms) const {
  // last_timestamp is the producer's: any value, so no plain subtraction.
  int64_t idle_ms;
  if (__builtin_sub_overflow(now_ms, entry.last_timestamp, &idle_ms))
    idle_ms = entry.last_timestamp < 0 ? INT64_MAX : INT64_MIN;
  return !entry.in_transaction() && idle_ms >= config_.producer_id_expiration_ms;
}

void ProducerStateTable::remove_expired(int64_t now_ms) {
  std::erase_if(producers_, [&](const auto& item) { return expired(item.second, now_ms); });
  verifications_.remove_expired(now_ms, config_.producer_id_expiration_ms);
}

std::vector<std::pair<int64_t, int64_t>> ProducerStateTable::last_data_offsets() const {
  std::vector<std::pair<int64_t, int64_t>> out;
  out.reserve(producers_.size());
  for (const auto& [id, entry] : producers_)
    if (!entry.batches.empty()) out.emplace_back(id, entry.batches.last().last_offset);
  return out;
}

std::vector<ActiveProducer> ProducerStateTable::active_producers() const {
  std::vector<ActiveProducer> out;
  out.reserve(producers_.size());
  for (const auto& [id, e] : producers_)
    out.push_back({id, e.producer_epoch, e.last_sequence(), e.last_timestamp, e.coordinator_epoch,
                   e.current_txn_first_offset});
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.producer_id < b.producer_id; });
  return out;
}

std::vector<ProducerSnapshotEntry> ProducerStateTable::snapshot() const {
  std::vector<ProducerSnapshotEntry> out;
  out.reserve(producers_.size());
  for (const auto& [id, e] : producers_) {
    ProducerSnapshotEntry row{id, e.producer_epoch, protocol::kNoSequence, -1, 0, e.last_timestamp,
                              e.coordinator_epoch, e.current_txn_first_offset};
    if (!e.batches.empty()) {
      const BatchMetadata& last = e.batches.last();
      row.last_sequence = last.last_sequence;
      row.last_offset = last.last_offset;
      row.offset_delta = static_cast<int32_t>(last.last_offset - last.first_offset);
    }
    out.push_back(row);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.producer_id < b.producer_id; });
  return out;
}

void ProducerStateTable::load(const std::vector<ProducerSnapshotEntry>& entries, int64_t now_ms) {
  clear();
  for (const auto& row : entries) {
    ProducerStateEntry entry;
    entry.producer_epoch = row.producer_epoch;
    entry.coordinator_epoch = row.coordinator_epoch;
    entry.last_timestamp = row.timestamp;
    entry.current_txn_first_offset = row.current_txn_first_offset;
    if (expired(entry, now_ms)) continue;
    if (row.last_offset >= 0) {
      int32_t first_sequence = row.last_sequence == protocol::kNoSequence
                                   ? protocol::kNoSequence
                                   : decrement_sequence(row.last_sequence, row.offset_delta);
      entry.batches.add({first_sequence, row.last_sequence, row.last_offset - row.offset_delta, row.last_offset,
                         row.timestamp});
    }
    if (producers_.contains(row.producer_id)) continue;
    if (entry.in_transaction() && !ongoing_txns_.emplace(entry.current_txn_first_offset, row.producer_id).second) {
      spdlog::warn("{}: producers {} and {} both start a transaction at offset {}; keeping the first", partition_,
                   ongoing_txns_[entry.current_txn_first_offset], row.producer_id, entry.current_txn_first_offset);
      continue;
    }
    producers_.emplace(row.producer_id, entry);
  }
}

void ProducerStateTable::clear() {
  producers_.clear();
  ongoing_txns_.clear();
}

}  // namespace freshet::storage
