#include "replication/partition_leader.h"

#include <gtest/gtest.h>

namespace freshet::replication {
namespace {

constexpr int64_t kLagMs = 30000;
auto anyone = [](int32_t) { return true; };

PartitionLeader three_replicas(int64_t log_end_offset, int64_t high_watermark, int64_t now_ms = 0) {
  return PartitionLeader(1, {1, 2, 3}, {1, 2, 3}, 0, log_end_offset, high_watermark, now_ms);
}

TEST(PartitionLeader, HighWatermarkIsTheLeastLogEndOverTheIsr) {
  auto leader = three_replicas(10, 0);
  EXPECT_EQ(leader.high_watermark(), 0);  // followers' ends unknown yet
  EXPECT_FALSE(leader.follower_fetched(2, 10, 1));
  EXPECT_TRUE(leader.follower_fetched(3, 7, 1));
  EXPECT_EQ(leader.high_watermark(), 7);
  EXPECT_TRUE(leader.follower_fetched(3, 10, 2));
  EXPECT_EQ(leader.high_watermark(), 10);
  EXPECT_FALSE(leader.log_grew(15));
  EXPECT_EQ(leader.high_watermark(), 10);
}

TEST(PartitionLeader, HighWatermarkNeverMovesBack) {
  auto leader = three_replicas(10, 8);
  EXPECT_FALSE(leader.follower_fetched(2, 5, 1));
  EXPECT_FALSE(leader.follower_fetched(3, 6, 1));
  EXPECT_EQ(leader.high_watermark(), 8);
}

TEST(PartitionLeader, AloneInTheIsrTheLeaderCommitsWhatItAppends) {
  PartitionLeader leader(1, {1, 2}, {1}, 3, 0, 0, 0);
  EXPECT_TRUE(leader.log_grew(4));
  EXPECT_EQ(leader.high_watermark(), 4);
}

TEST(PartitionLeader, ALaggingFollowerLeavesTheIsrAfterTheLagTime) {
  auto leader = three_replicas(10, 0);
  leader.follower_fetched(2, 10, 0);
  leader.follower_fetched(3, 10, 0);
  leader.log_grew(20);
  leader.follower_fetched(2, 20, 100);
  leader.follower_fetched(3, 12, 100);  // behind, but at or past the end at its last fetch
  EXPECT_FALSE(leader.wanted_isr(kLagMs, kLagMs, 0, anyone));  // caught up as of time 0: not yet over
  leader.follower_fetched(2, 20, kLagMs + 50);
  auto wanted = leader.wanted_isr(kLagMs + 50, kLagMs, 0, anyone);
  ASSERT_TRUE(wanted);
  EXPECT_EQ(*wanted, (std::vector<int32_t>{1, 2}));
}

TEST(PartitionLeader, ACaughtUpFollowerJoinsAndCountsWhileTheChangeIsInFlight) {
  PartitionLeader leader(1, {1, 2, 3}, {1, 2}, 4, 10, 10, 0);
  leader.log_grew(12);
  EXPECT_FALSE(leader.follower_fetched(3, 11, 1));  // past the high watermark, not in the ISR
  auto wanted = leader.wanted_isr(1, kLagMs, 0, anyone);
  ASSERT_TRUE(wanted);
  EXPECT_EQ(*wanted, (std::vector<int32_t>{1, 2, 3}));
  EXPECT_FALSE(leader.wanted_isr(1, kLagMs, 0, [](int32_t id) { return id != 3; }));
  leader.isr_change_sent(*wanted);
  EXPECT_FALSE(leader.wanted_isr(1, kLagMs, 0, anyone));  // one change at a time
  leader.log_grew(14);
  EXPECT_TRUE(leader.follower_fetched(2, 14, 2));
  EXPECT_EQ(leader.high_watermark(), 11);  // the joining member counts already
  EXPECT_FALSE(leader.isr_committed({1, 2}, 3));  // an older epoch is ignored
  EXPECT_TRUE(leader.isr_change_in_flight());
  EXPECT_TRUE(leader.follower_fetched(3, 14, 3));
  EXPECT_EQ(leader.high_watermark(), 14);
  leader.isr_committed(*wanted, 5);
  EXPECT_EQ(leader.isr(), (std::vector<int32_t>{1, 2, 3}));
  EXPECT_FALSE(leader.isr_change_in_flight());
}

TEST(PartitionLeader, ARefusedChangeLetsTheLeaderAskAgain) {
  PartitionLeader leader(1, {1, 2}, {1}, 0, 10, 10, 0);
  leader.follower_fetched(2, 10, 1);
  auto wanted = leader.wanted_isr(1, kLagMs, 0, anyone);
  ASSERT_TRUE(wanted);
  leader.isr_change_sent(*wanted);
  leader.isr_change_failed();
  EXPECT_FALSE(leader.isr_change_in_flight());
  EXPECT_EQ(leader.isr(), (std::vector<int32_t>{1}));
  EXPECT_EQ(leader.wanted_isr(2, kLagMs, 0, anyone), wanted);
}

TEST(PartitionLeader, AFollowerBehindTheEpochStartDoesNotJoin) {
  PartitionLeader leader(1, {1, 2, 3}, {1, 2}, 0, 10, 5, 0);
  leader.follower_fetched(3, 8, 1);  // 2 unknown: the high watermark stays at 5
  EXPECT_FALSE(leader.wanted_isr(1, kLagMs, 9, anyone));
  EXPECT_TRUE(leader.wanted_isr(1, kLagMs, 8, anyone));
}

}  // namespace
}  // namespace freshet::replication
