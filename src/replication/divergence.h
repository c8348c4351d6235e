// Where a follower truncates its log when its leader's Fetch answer says the
// two diverged (DivergingEpoch, KIP-595's fetch-based truncation, as Kafka's
// AbstractFetcherThread decides it). Pure: the follower's epoch lookup is
// handed in.
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>

namespace freshet::replication {

// Kafka's "no such epoch / offset".
inline constexpr int32_t kUnknownEpoch = -1;
inline constexpr int64_t kUnknownOffset = -1;

struct Truncation {
  int64_t offset;
  // False: the follower did not know the leader's epoch; it truncated to
  // where its own older epoch ends and must fetch again to learn more.
  bool complete;
};

// The leader's log holds epoch `leader_epoch` up to `leader_end_offset`
// (either unknown: -1). `follower_end_for(epoch)` is the follower's
// (largest epoch <= `epoch`, its end offset), or (-1, -1) when it has no
// epochs. Never past the follower's log end. With no epoch to compare, the
// follower keeps what it knows is committed: its high watermark.
template <typename FollowerEndFor>
Truncation truncation_after_divergence(int32_t leader_epoch, int64_t leader_end_offset, int64_t follower_log_end,
                                       int64_t follower_high_watermark, FollowerEndFor follower_end_for) {
  if (leader_end_offset == kUnknownOffset) return {std::min(follower_high_watermark, follower_log_end), true};
  if (leader_epoch == kUnknownEpoch) return {std::min(leader_end_offset, follower_log_end), true};
  const std::pair<int32_t, int64_t> own = follower_end_for(leader_epoch);
  if (own.first == kUnknownEpoch || own.second == kUnknownOffset)
    return {std::min(leader_end_offset, follower_log_end), true};
  const int64_t own_end = std::min(own.second, follower_log_end);
  if (own.first != leader_epoch) return {own_end, false};
  return {std::min(leader_end_offset, own_end), true};
}

}  // namespace freshet::replication
