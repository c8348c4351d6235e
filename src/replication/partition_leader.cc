#include "replication/partition_leader.h"

#include <algorithm>

#include "replication/invariant.h"

namespace freshet::replication {

namespace {
bool contains(const std::vector<int32_t>& ids, int32_t id) { return std::find(ids.begin(), ids.end(), id) != ids.end(); }
}  // namespace

PartitionLeader::PartitionLeader(int32_t self, const std::vector<int32_t>& replicas, std::vector<int32_t> isr,
                                 int32_t partition_epoch, int64_t log_end_offset, int64_t high_watermark_offset,
                                 int64_t now_ms)
    : self_(self),
      isr_(std::move(isr)),
      partition_epoch_(partition_epoch),
      log_end_offset_(log_end_offset),
      high_watermark_(high_watermark_offset) {
  REPLICATION_ASSERT(contains(replicas, self_));
  REPLICATION_ASSERT(contains(isr_, self_));
  REPLICATION_ASSERT(0 <= high_watermark_ && high_watermark_ <= log_end_offset_);
  // Every follower starts caught up as of now (Kafka resets them so on a
  // leadership change): a full lag time to show it is still there.
  for (int32_t id : replicas)
    if (id != self_) followers_.push_back({id, -1, now_ms, now_ms, -1});
  advance_high_watermark();
}

bool PartitionLeader::in_isr(int32_t replica) const { return contains(isr_, replica); }

bool PartitionLeader::log_grew(int64_t log_end_offset) {
  REPLICATION_ASSERT(log_end_offset >= log_end_offset_);
  log_end_offset_ = log_end_offset;
  return advance_high_watermark();
}

bool PartitionLeader::follower_fetched(int32_t replica, int64_t fetch_offset, int64_t now_ms) {
  for (Follower& f : followers_) {
    if (f.id != replica) continue;
    if (fetch_offset >= log_end_offset_)
      f.last_caught_up_ms = std::max(f.last_caught_up_ms, now_ms);
    else if (fetch_offset >= f.leader_end_at_last_fetch)
      f.last_caught_up_ms = std::max(f.last_caught_up_ms, f.last_fetch_ms);
    f.log_end_offset = std::min(fetch_offset, log_end_offset_);
    f.leader_end_at_last_fetch = log_end_offset_;
    f.last_fetch_ms = now_ms;
    return advance_high_watermark();
  }
  return false;
}

void PartitionLeader::isr_change_sent(std::vector<int32_t> isr) {
  REPLICATION_ASSERT(!pending_isr_);
  REPLICATION_ASSERT(contains(isr, self_));
  pending_isr_ = std::move(isr);
}

bool PartitionLeader::isr_committed(std::vector<int32_t> isr, int32_t partition_epoch) {
  if (partition_epoch < partition_epoch_) return false;
  REPLICATION_ASSERT(contains(isr, self_));
  isr_ = std::move(isr);
  partition_epoch_ = partition_epoch;
  pending_isr_.reset();
  return advance_high_watermark();
}

bool PartitionLeader::advance_high_watermark() {
  int64_t least = log_end_offset_;
  for (const Follower& f : followers_) {
    const bool counted = in_isr(f.id) || (pending_isr_ && contains(*pending_isr_, f.id));
    if (counted) least = std::min(least, f.log_end_offset);
  }
  if (least <= high_watermark_) return false;
  high_watermark_ = least;
  REPLICATION_ASSERT(high_watermark_ <= log_end_offset_);
  return true;
}

}  // namespace freshet::replication
