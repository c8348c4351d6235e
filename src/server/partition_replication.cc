// Partition's replica role: leading (the high watermark over the ISR, the
// acks=all waiters, ISR changes) and following (replicated appends,
// truncation, the leader's high watermark).
#include <spdlog/spdlog.h>

#include <algorithm>

#include "server/partition.h"

namespace freshet::server {

void Partition::assign(const cluster::PartitionInfo& info, int32_t self, int64_t now_ms) {
  const bool assigned = partition_epoch_ >= 0;
  if (assigned && info.leader_epoch < leader_epoch_) return;  // an older image
  const bool leads = info.leader == self;
  const bool same_role = assigned && info.leader_epoch == leader_epoch_ && info.leader == leader_id_;
  if (same_role) {
    // Only a newer partition epoch settles a change in flight: an image of
    // the same epoch predates it.
    if (info.partition_epoch > partition_epoch_) {
      partition_epoch_ = info.partition_epoch;
      if (leader_state_ && leader_state_->isr_committed(info.isr, info.partition_epoch)) high_watermark_moved();
      resend_isr_change_ = false;
    }
    return;
  }
  const int64_t end = log_->log_end_offset();
  const int64_t high_watermark = std::clamp(this->high_watermark(), std::min(log_->log_start_offset(), end), end);
  leader_epoch_ = info.leader_epoch;
  leader_id_ = info.leader;
  partition_epoch_ = info.partition_epoch;
  isr_request_out_ = false;
  resend_isr_change_ = false;
  if (leads) {
    log_->begin_leader_epoch(leader_epoch_);
    epoch_start_offset_ = end;
    leader_state_.emplace(self, info.replicas, info.isr, info.partition_epoch, end, high_watermark, now_ms);
    spdlog::info("partition {}-{}: leader in epoch {} from offset {} (high watermark {}, ISR {} of {})", topic_, index_,
                 leader_epoch_, end, leader_state_->high_watermark(), info.isr.size(), info.replicas.size());
    high_watermark_moved();
    return;
  }
  const bool was_leader = leader_state_.has_value();
  leader_state_.reset();
  follower_high_watermark_ = high_watermark;
  fail_replicated_waiters(protocol::ErrorCode::NotLeaderOrFollower);
  if (was_leader || !assigned)
    spdlog::info("partition {}-{}: follower of {} in epoch {} from offset {}", topic_, index_, leader_id_, leader_epoch_,
                 end);
}

void Partition::leader_log_grew() {
  if (leader_state_ && leader_state_->log_grew(log_->log_end_offset()))
    high_watermark_moved();
  else
    notifier_.data_arrived(data_signal_);  // followers' long polls wake up
}

void Partition::follower_fetched(int32_t replica, int64_t fetch_offset, int64_t now_ms) {
  if (leader_state_ && leader_state_->follower_fetched(replica, fetch_offset, now_ms)) high_watermark_moved();
}

void Partition::high_watermark_moved() {
  const int64_t high_watermark = this->high_watermark();
  while (!replication_waiters_.empty() && replication_waiters_.front().offset < high_watermark) {
    auto waiter = std::move(replication_waiters_.front());
    replication_waiters_.pop_front();
    // Kafka's rule: the ISR that committed the record must still be large enough.
    const bool enough = static_cast<int32_t>(isr().size()) >= policy_.min_insync_replicas;
    waiter.done(enough ? protocol::ErrorCode::None : protocol::ErrorCode::NotEnoughReplicasAfterAppend);
  }
  notifier_.data_arrived(data_signal_);
}

void Partition::await_replicated(int64_t offset, std::function<void(protocol::ErrorCode)> done) {
  if (!leader_state_) return done(protocol::ErrorCode::NotLeaderOrFollower);
  replication_waiters_.push_back({offset, std::move(done)});
  if (offset < high_watermark()) high_watermark_moved();
}

void Partition::await_committed(int64_t offset, std::function<void(protocol::ErrorCode)> done) {
  if (leader_state_ && leader_state_->isr().size() > 1) return await_replicated(offset, std::move(done));
  await_durable(offset, [done = std::move(done)](bool ok) {
    done(ok ? protocol::ErrorCode::None : protocol::ErrorCode::KafkaStorageError);
  });
}

void Partition::fail_replicated_waiters(protocol::ErrorCode error) {
  auto waiters = std::move(replication_waiters_);
  replication_waiters_.clear();
  for (auto& waiter : waiters) waiter.done(error);
}

void Partition::isr_change_answered(int32_t leader_epoch, IsrAnswer answer, const cluster::PartitionInfo* after) {
  if (!leader_state_ || leader_epoch != leader_epoch_) return;  // asked by a leadership since lost
  isr_request_out_ = false;
  switch (answer) {
    case IsrAnswer::kCommitted:
      partition_epoch_ = std::max(partition_epoch_, after->partition_epoch);
      if (leader_state_->isr_committed(after->isr, after->partition_epoch)) high_watermark_moved();
      return;
    case IsrAnswer::kRefused:
      leader_state_->isr_change_failed();
      return;
    case IsrAnswer::kStale:
      return;
    case IsrAnswer::kLost:
      resend_isr_change_ = leader_state_->isr_change_in_flight();
      return;
  }
}

void Partition::append_replicated(std::span<const uint8_t> batch, int64_t now_ms) {
  log_->append_as_follower(batch, now_ms);
}

void Partition::replicated(int64_t leader_high_watermark) {
  const int64_t next = std::min(leader_high_watermark, log_->log_end_offset());
  if (next > follower_high_watermark_) follower_high_watermark_ = next;
  notifier_.data_arrived(data_signal_);
}

void Partition::truncate_diverged(int64_t offset) {
  spdlog::info("partition {}-{}: truncating from offset {} (log end {}), diverged from leader {}", topic_, index_, offset,
               log_->log_end_offset(), leader_id_);
  log_->truncate_to(offset);
  follower_high_watermark_ = std::min(follower_high_watermark_, log_->log_end_offset());
}

void Partition::restart_at(int64_t offset) {
  spdlog::info("partition {}-{}: log {}..{} is below leader {}'s log start {}: starting again there", topic_, index_,
               log_->log_start_offset(), log_->log_end_offset(), leader_id_, offset);
  log_->truncate_fully_and_start_at(offset);
  follower_high_watermark_ = offset;
}

}  // namespace freshet::server
