#include "server/partition.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "protocol/record_batch.h"
#include "server/produce_validator.h"
#include "storage/storage_error.h"

namespace freshet::server {

Partition::Partition(std::string topic, int32_t index, std::unique_ptr<storage::PartitionLog> log, ProducePolicy policy,
                     DataNotifier& notifier, Flusher& flusher)
    : topic_(std::move(topic)), index_(index), log_(std::move(log)), policy_(policy),
      notifier_(notifier),
      data_signal_(notifier.make_signal()),
      flusher_(flusher) {}

void Partition::update(ProducePolicy policy, const storage::LogConfig& log_config) {
  policy_ = policy;
  log_->set_config(log_config);
}

protocol::ErrorCode Partition::check_leader_epoch(int32_t current_leader_epoch) const {
  if (current_leader_epoch >= 0 && current_leader_epoch < leader_epoch_) return protocol::ErrorCode::FencedLeaderEpoch;
  if (current_leader_epoch > leader_epoch_) return protocol::ErrorCode::UnknownLeaderEpoch;
  return protocol::ErrorCode::None;
}

AppendOutcome Partition::append(const std::optional<protocol::Records>& records, int16_t produce_version, int64_t now_ms) {
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
  try {
    for (auto batch : validated.batches) {
      auto result = log_->append_borrowed(batch, leader_epoch_, now_ms);
      if (out.base_offset < 0) out.base_offset = result.base_offset;
      out.last_offset = result.last_offset;
    }
  } catch (const storage::StorageError& e) {
    spdlog::error("append to {}-{} failed: {}", topic_, index_, e.what());
    out.error = protocol::ErrorCode::KafkaStorageError;
    out.message = e.what();
    return out;
  }
  if (policy_.log_append_time) out.log_append_time_ms = now_ms;
  out.log_start_offset = log_->log_start_offset();
  notifier_.data_arrived(data_signal_);
  return out;
}

void Partition::await_durable(int64_t offset, std::function<void(bool)> done) {
  if (offset < log_->recovery_point()) return done(true);
  durability_waiters_.push_back({offset, std::move(done)});
  if (!flush_in_flight_) start_flush();
}

void Partition::start_flush() {
  auto target = std::make_shared<storage::FlushTarget>(log_->flush_target());
  flush_in_flight_ = true;
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
  return read_with(offset, max_bytes, &storage::PartitionLog::read);
}

ReadOutcome Partition::read_for_fetch(int64_t offset, int32_t max_bytes) {
  return read_with(offset, max_bytes, &storage::PartitionLog::read_file_slice);
}

ReadOutcome Partition::read_with(int64_t offset, int32_t max_bytes, LogRead log_read) {
  ReadOutcome out;
  out.high_watermark = high_watermark();
  out.log_start_offset = log_start_offset();
  try {
    auto result = (*log_.*log_read)(offset, max_bytes, true, out.high_watermark);
    if (result.status == storage::ReadStatus::kOffsetOutOfRange) {
      out.error = protocol::ErrorCode::OffsetOutOfRange;
      return out;
    }
    out.records = std::move(result.records);
  } catch (const storage::StorageError& e) {
    spdlog::error("read from {}-{} failed: {}", topic_, index_, e.what());
    out.error = protocol::ErrorCode::KafkaStorageError;
  }
  return out;
}

}  // namespace freshet::server
