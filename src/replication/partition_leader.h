// The leader's view of one partition's replicas (Kafka's Partition and
// Replica state on the leader): where each follower's log ends as its fetches
// say, when it last caught up, the high watermark, and which ISR change to
// ask the controller for. Pure: offsets and times (ms) are handed in.
//
// The high watermark is the least log end offset over the maximal ISR (the
// committed ISR, plus the members a change in flight adds) with the leader's
// own; it never moves back. A follower whose log end offset is unknown (it
// has not fetched since this leadership began) holds it where it is.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace freshet::replication {

class PartitionLeader {
 public:
  // `isr` holds `self`; `high_watermark_offset` is where this leader's
  // high watermark starts (its own, from when it followed), at most
  // `log_end_offset`.
  PartitionLeader(int32_t self, const std::vector<int32_t>& replicas, std::vector<int32_t> isr, int32_t partition_epoch,
                  int64_t log_end_offset, int64_t high_watermark_offset, int64_t now_ms);

  // The committed ISR (what the controller last said).
  const std::vector<int32_t>& isr() const { return isr_; }
  int64_t high_watermark() const { return high_watermark_; }

  // The leader's log grew (or, truncated by nothing, stayed): true when the
  // high watermark moved.
  bool log_grew(int64_t log_end_offset);
  // A fetch from `replica` at `fetch_offset` (all before it is on the
  // follower's log) while the leader's log ended at `log_end_offset`: true
  // when the high watermark moved. Kafka's caught-up rule: a fetch at the
  // leader's end catches the follower up now; one at or past where the
  // leader's log ended at the previous fetch, as of that fetch.
  bool follower_fetched(int32_t replica, int64_t fetch_offset, int64_t now_ms);

  // The ISR to ask for now, or nullopt when it should stay (or a change is
  // in flight): members lagging behind the leader's end for longer than
  // `lag_time_max_ms` leave; followers whose log reaches the high watermark
  // and `epoch_start_offset` (where this leader's epoch began) join, unless
  // `may_join` says no (a fenced broker).
  template <typename MayJoin>
  std::optional<std::vector<int32_t>> wanted_isr(int64_t now_ms, int64_t lag_time_max_ms, int64_t epoch_start_offset,
                                                 MayJoin may_join) const {
    if (pending_isr_) return std::nullopt;
    std::vector<int32_t> wanted;
    bool changed = false;
    for (const Follower& f : followers_) {
      const bool member = in_isr(f.id);
      const bool keep = member ? !lagging(f, now_ms, lag_time_max_ms)
                               : f.log_end_offset >= high_watermark_ && f.log_end_offset >= epoch_start_offset &&
                                     f.log_end_offset >= 0 && may_join(f.id);
      changed |= keep != member;
      if (keep) wanted.push_back(f.id);
    }
    if (!changed) return std::nullopt;
    wanted.insert(wanted.begin(), self_);
    return wanted;
  }
  // An AlterPartition for `isr` was sent: until it is answered the high
  // watermark counts its new members too, and no other change is asked.
  void isr_change_sent(std::vector<int32_t> isr);
  // The change was refused or lost: the committed ISR stands.
  void isr_change_failed() { pending_isr_.reset(); }
  bool isr_change_in_flight() const { return pending_isr_.has_value(); }
  // The change in flight (to send again when its answer was lost).
  const std::optional<std::vector<int32_t>>& pending_isr() const { return pending_isr_; }
  // The controller's ISR (an AlterPartition answer or a newer image): true
  // when the high watermark moved. Older partition epochs are ignored.
  bool isr_committed(std::vector<int32_t> isr, int32_t partition_epoch);

 private:
  struct Follower {
    int32_t id;
    int64_t log_end_offset = -1;
    int64_t last_caught_up_ms;
    int64_t last_fetch_ms;
    int64_t leader_end_at_last_fetch = -1;
  };
  bool in_isr(int32_t replica) const;
  bool lagging(const Follower& f, int64_t now_ms, int64_t lag_time_max_ms) const {
    return f.log_end_offset < log_end_offset_ && now_ms - f.last_caught_up_ms > lag_time_max_ms;
  }
  // Recomputes the high watermark: true when it moved.
  bool advance_high_watermark();

  int32_t self_;
  std::vector<int32_t> isr_;
  std::optional<std::vector<int32_t>> pending_isr_;
  int32_t partition_epoch_;
  int64_t log_end_offset_;
  int64_t high_watermark_;
  std::vector<Follower> followers_;  // the replicas but self, in replica order
};

}  // namespace freshet::replication
