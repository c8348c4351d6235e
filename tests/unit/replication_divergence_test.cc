#include "replication/divergence.h"

#include <gtest/gtest.h>

#include <map>

namespace freshet::replication {
namespace {

// A follower whose epochs start at the given offsets, its log ending at `log_end`.
auto follower(std::map<int32_t, int64_t> starts, int64_t log_end) {
  return [starts, log_end](int32_t epoch) -> std::pair<int32_t, int64_t> {
    if (starts.empty()) return {kUnknownEpoch, kUnknownOffset};
    auto after = starts.upper_bound(epoch);
    if (after == starts.begin()) return {epoch, starts.begin()->second};
    auto at = std::prev(after);
    return {at->first, after == starts.end() ? log_end : after->second};
  };
}

TEST(Divergence, SameEpochTruncatesToTheLesserEnd) {
  // Both had epoch 1; the leader's ended at 8, the follower wrote on to 10.
  auto t = truncation_after_divergence(1, 8, 10, 5, follower({{0, 0}, {1, 4}}, 10));
  EXPECT_EQ(t.offset, 8);
  EXPECT_TRUE(t.complete);
}

TEST(Divergence, AnEpochTheFollowerNeverHadTruncatesToItsOwnOlderEpochEnd) {
  // The leader answers epoch 3 ending at 20; the follower knows 1 and 4 (it
  // led in 4 what the leader never saw): its epoch 1 ends at 12.
  auto t = truncation_after_divergence(3, 20, 15, 6, follower({{1, 0}, {4, 12}}, 15));
  EXPECT_EQ(t.offset, 12);
  EXPECT_FALSE(t.complete);
}

TEST(Divergence, UnknownLeaderOffsetKeepsTheHighWatermark) {
  auto t = truncation_after_divergence(kUnknownEpoch, kUnknownOffset, 15, 6, follower({{1, 0}}, 15));
  EXPECT_EQ(t.offset, 6);
}

TEST(Divergence, FollowerWithoutEpochsTruncatesToTheLeaderEnd) {
  auto t = truncation_after_divergence(2, 9, 15, 0, follower({}, 15));
  EXPECT_EQ(t.offset, 9);
  EXPECT_TRUE(t.complete);
}

TEST(Divergence, NeverPastTheFollowerLogEnd) {
  auto t = truncation_after_divergence(1, 30, 10, 10, follower({{1, 0}}, 10));
  EXPECT_EQ(t.offset, 10);
}

}  // namespace
}  // namespace freshet::replication
