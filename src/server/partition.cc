#include "server/partition.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cluster/internal_topics.h"
#include "protocol/record_batch.h"
#include "server/clock.h"
#include "server/produce_validator.h"
#include "storage/storage_error.h"

namespace freshet::server {

Partition::Partition(std::string topic, int32_t index, std::unique_ptr<storage::PartitionLog> log, ProducePolicy policy,
                     DataNotifier& notifier, Flusher& flusher)
    : topic_(std::move(topic)), index_(index), log_(std::move(log)), policy_(policy),
      notifier_(notifier),
      data_signal_(notifier.make_signal()),
      flusher_(flusher),
      last_flush_ms_(now_ms()) {}

void Partition::update(ProducePolicy policy, const storage::LogConfig& log_config) {
  policy_ = policy;
  log_->set_config(log_config);
}

DeleteRecordsOutcome Partition::delete_records(int64_t offset, int64_t now_ms) {
  // Kafka's DeleteRecordsRequest.HIGH_WATERMARK.
  constexpr int64_t kHighWatermark = -1;
  if (cluster::is_internal_topic(topic_)) return {protocol::ErrorCode::InvalidTopicException};
  if (!log_->config().delete_retention) return {protocol::ErrorCode::PolicyViolation};
  const int64_t before = offset == kHighWatermark ? high_watermark() : offset;
  if (before < 0 || before > high_watermark()) return {protocol::ErrorCode::OffsetOutOfRange};
  try {
    log_->advance_log_start_offset(before);
    enforce_retention(now_ms);
  } catch (const storage::StorageError& e) {
    spdlog::error("deleting records of {}-{} failed: {}", topic_, index_, e.what());
    return {protocol::ErrorCode::KafkaStorageError};
  }
  return {protocol::ErrorCode::None, log_->log_start_offset()};
}

protocol::ErrorCode Partition::check_leader_epoch(int32_t current_leader_epoch) const {
  if (current_leader_epoch >= 0 && current_leader_epoch < leader_epoch_) return protocol::ErrorCode::FencedLeaderEpoch;
  if (current_leader_epoch > leader_epoch_) return protocol::ErrorCode::UnknownLeaderEpoch;
  return protocol::ErrorCode::None;
}

namespace {

// Kafka's error for a batch the producer state refused.
protocol::ErrorCode producer_error(storage::AppendStatus status) {
  switch (status) {
    case storage::AppendStatus::kOutOfOrderSequence: return protocol::ErrorCode::OutOfOrderSequenceNumber;
    case storage::AppendStatus::kInvalidProducerEpoch: return protocol::ErrorCode::InvalidProducerEpoch;
    case storage::AppendStatus::kInvalidTxnState: return protocol::ErrorCode::InvalidTxnState;
    case storage::AppendStatus::kCoordinatorFenced: return protocol::ErrorCode::TransactionCoordinatorFenced;
    case storage::AppendStatus::kAppended:
    case storage::AppendStatus::kDuplicate: break;
  }
  return protocol::ErrorCode::None;
}

}  // namespace

AppendOutcome Partition::append(const std::optional<protocol::Records>& records, int16_t produce_version, int64_t now_ms,
                                const storage::AppendChecks& checks) {
  AppendOutcome out;
  auto validated =
      validate_produce_records(records, produce_version, policy_, fmt::format("{}-{}", topic_, index_), now_ms);
  if (validated.error != protocol::ErrorCode::None) {
    out.error = validated.error;
    out.message = std::move(validated.message);
    out.record_errors = std::move(validated.record_errors);
    spdlog::debug("produce to {}-{} rejected: {}", topic_, index_, out.message);
    return out;
  }
  const size_t segments_before = log_->segment_count();
  try {
    for (auto batch : validated.batches) {
      auto result = log_->append_borrowed(batch, leader_epoch_, now_ms, checks);
      AppendOutcome one = appended(result, now_ms);
      if (one.error != protocol::ErrorCode::None) return one;
      if (out.base_offset < 0) out = one;
      out.last_offset = one.last_offset;
    }
  } catch (const storage::StorageError& e) {
    spdlog::error("append to {}-{} failed: {}", topic_, index_, e.what());
    out.error = protocol::ErrorCode::KafkaStorageError;
    out.message = e.what();
    return out;
  }
  leader_log_grew();
  if (out.last_offset >= out.base_offset && out.base_offset >= 0) {
    records_since_flush_ += out.last_offset - out.base_offset + 1;
    out.flush_due = records_since_flush_ >= policy_.flush_messages;
  }
  // A rolled segment is flushed in the background, as Kafka does: the
  // recovery point, and so what a crash makes start-up re-read, stays
  // within the active segment even for acks=1 traffic.
  if (log_->segment_count() > segments_before && !out.flush_due && out.last_offset >= 0)
    await_durable(out.last_offset, [](bool) {});
  return out;
}

void Partition::enforce_retention(int64_t now_ms) {
  auto outcome = log_->enforce_retention(now_ms, high_watermark());
  if (!outcome.files_due.empty())
    flusher_.run([files = std::move(outcome.files_due)] { storage::remove_retired_files(files); });
}

void Partition::flush_if_stale(int64_t now_ms) {
  if (log_->recovery_point() >= log_->log_end_offset() || now_ms - last_flush_ms_ < policy_.flush_ms) return;
  await_durable(log_->log_end_offset() - 1, [](bool) {});
}

AppendOutcome Partition::append_end_txn_marker(int64_t producer_id, int16_t producer_epoch, int32_t coordinator_epoch,
                                               bool commit, int64_t now_ms) {
  try {
    AppendOutcome out = appended(
        log_->append_end_txn_marker(producer_id, producer_epoch, coordinator_epoch, commit, leader_epoch_, now_ms), now_ms);
    // The last stable offset may have moved: read_committed fetches wake up.
    if (out.error == protocol::ErrorCode::None) leader_log_grew();
    return out;
  } catch (const storage::StorageError& e) {
    spdlog::error("writing a transaction marker to {}-{} failed: {}", topic_, index_, e.what());
    AppendOutcome out;
    out.error = protocol::ErrorCode::KafkaStorageError;
    out.message = e.what();
    return out;
  }
}

AppendOutcome Partition::appended(const storage::AppendResult& result, int64_t now_ms) {
  AppendOutcome out;
  out.log_start_offset = log_->log_start_offset();
  if (auto error = producer_error(result.status); error != protocol::ErrorCode::None) {
    out.error = error;
    out.message = result.message;
    spdlog::debug("produce to {}-{} refused: {}", topic_, index_, out.message);
    return out;
  }
  out.base_offset = result.base_offset;
  out.last_offset = result.last_offset;
  // Kafka answers a duplicate with the original batch's timestamp.
  if (result.status == storage::AppendStatus::kDuplicate)
    out.log_append_time_ms = result.duplicate_timestamp_ms;
  else if (policy_.log_append_time)
    out.log_append_time_ms = now_ms;
  return out;
}

int64_t Partition::last_stable_offset() const {
  auto first_unstable = log_->first_unstable_offset();
  return first_unstable ? std::min(*first_unstable, high_watermark()) : high_watermark();
}

void Partition::await_durable(int64_t offset, std::function<void(bool)> done) {
  if (offset < log_->recovery_point()) return done(true);
  durability_waiters_.push_back({offset, std::move(done)});
  if (!flush_in_flight_) start_flush();
}

void Partition::start_flush() {
  auto target = std::make_shared<storage::FlushTarget>(log_->flush_target());
  flush_in_flight_ = true;
  records_since_flush_ = 0;
  last_flush_ms_ = now_ms();
  std::weak_ptr<Partition> weak = weak_from_this();
  flusher_.flush(target->files, [weak, target](bool ok) {
    if (auto self = weak.lock()) self->flushed(*target, ok);
  });
}

void Partition::flushed(const storage::FlushTarget& target, bool ok) {
  flush_in_flight_ = false;
  if (ok)
    log_->mark_flushed(target);
  else
    log_->flush_failed(target);
  int64_t offset = target.offset;
  while (!durability_waiters_.empty() && (!ok || durability_waiters_.front().offset < offset)) {
    auto waiter = std::move(durability_waiters_.front());
    durability_waiters_.pop_front();
    waiter.done(ok);
  }
  if (!durability_waiters_.empty()) start_flush();
}

ReadOutcome Partition::read(int64_t offset, int32_t max_bytes) {
  return read_with(offset, max_bytes, &storage::PartitionLog::read, Isolation::kReadUncommitted, high_watermark());
}

ReadOutcome Partition::read_for_fetch(int64_t offset, int32_t max_bytes, Isolation isolation) {
  const int64_t max_offset = isolation == Isolation::kReadCommitted ? last_stable_offset() : high_watermark();
  return read_with(offset, max_bytes, &storage::PartitionLog::read_file_slice, isolation, max_offset);
}

ReadOutcome Partition::read_to_log_end(int64_t offset, int32_t max_bytes) {
  return read_with(offset, max_bytes, &storage::PartitionLog::read, Isolation::kReadUncommitted, log_->log_end_offset());
}

ReadOutcome Partition::read_for_follower(int64_t offset, int32_t max_bytes) {
  return read_with(offset, max_bytes, &storage::PartitionLog::read_file_slice, Isolation::kReadUncommitted,
                   log_->log_end_offset());
}

ReadOutcome Partition::read_with(int64_t offset, int32_t max_bytes, LogRead log_read, Isolation isolation,
                                 int64_t max_offset) {
  ReadOutcome out;
  out.high_watermark = high_watermark();
  out.last_stable_offset = last_stable_offset();
  out.log_start_offset = log_start_offset();
  const bool committed = isolation == Isolation::kReadCommitted;
  try {
    auto result = (*log_.*log_read)(offset, max_bytes, true, max_offset);
    if (result.status == storage::ReadStatus::kOffsetOutOfRange) {
      out.error = protocol::ErrorCode::OffsetOutOfRange;
      return out;
    }
    if (committed && result.next_offset > offset)
      out.aborted_transactions = log_->aborted_transactions(offset, result.next_offset);
    out.records = std::move(result.records);
  } catch (const storage::StorageError& e) {
    spdlog::error("read from {}-{} failed: {}", topic_, index_, e.what());
    out.error = protocol::ErrorCode::KafkaStorageError;
  }
  return out;
}

}  // namespace freshet::server
