#include "server/fetch_session.h"

#include <gtest/gtest.h>

namespace freshet::server {
namespace {

using protocol::ErrorCode;
using PlanKind = FetchPlan::Kind;

SessionPartitionKey key(int32_t partition, const std::string& topic = "t") { return {{}, topic, partition}; }

SessionPartition requested(int32_t partition, int64_t fetch_offset, const std::string& topic = "t") {
  return {key(partition, topic), fetch_offset, 1024, -1, -1};
}

SessionPartition sent(int32_t partition, int64_t fetch_offset, int64_t high_watermark) {
  return {key(partition), fetch_offset, 1024, high_watermark, 0};
}

PartitionAnswer answer(int64_t high_watermark, bool has_records = false, int16_t error_code = 0) {
  return {error_code, high_watermark, 0, has_records};
}

// A session over t-0 (hw 10) and t-1 (hw 20), created by a full fetch.
int32_t open_two(FetchSessionCache& cache, int64_t now_ms = 0) {
  EXPECT_EQ(cache.plan(0, 0, false, {requested(0, 10), requested(1, 20)}, {}, now_ms).kind, PlanKind::kNewSession);
  return cache.create(false, {sent(0, 10, 10), sent(1, 20, 20)}, now_ms);
}

TEST(FetchSessionCache, FullFetchWithEpochZeroCreatesASession) {
  FetchSessionCache cache(10);
  int32_t id = open_two(cache);
  EXPECT_GT(id, 0);
  EXPECT_EQ(cache.size(), 1u);
}

TEST(FetchSessionCache, FinalEpochIsSessionlessAndClosesTheNamedSession) {
  FetchSessionCache cache(10);
  int32_t id = open_two(cache);
  EXPECT_EQ(cache.plan(id, -1, false, {requested(0, 10)}, {}, 1).kind, PlanKind::kSessionless);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.plan(id, 1, false, {}, {}, 2).error, ErrorCode::FetchSessionIdNotFound);
}

TEST(FetchSessionCache, FullFetchNamingASessionClosesIt) {
  FetchSessionCache cache(10);
  int32_t id = open_two(cache);
  EXPECT_EQ(cache.plan(id, 0, false, {}, {}, 1).kind, PlanKind::kNewSession);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(FetchSessionCache, IncrementalFetchReadsTheWholeSessionAndAdvancesTheEpoch) {
  FetchSessionCache cache(10);
  int32_t id = open_two(cache);
  FetchPlan plan = cache.plan(id, 1, false, {requested(1, 25)}, {}, 1);
  ASSERT_EQ(plan.kind, PlanKind::kIncremental);
  EXPECT_EQ(plan.session_id, id);
  EXPECT_EQ(plan.session_epoch, 2);
  ASSERT_EQ(plan.partitions.size(), 2u);
  EXPECT_EQ(plan.partitions[0].key, key(0));
  EXPECT_EQ(plan.partitions[0].fetch_offset, 10);
  EXPECT_EQ(plan.partitions[1].fetch_offset, 25);  // updated by the request
  EXPECT_EQ(cache.plan(id, 2, false, {}, {}, 2).kind, PlanKind::kIncremental);
}

TEST(FetchSessionCache, WrongEpochIsRejected) {
  FetchSessionCache cache(10);
  int32_t id = open_two(cache);
  FetchPlan plan = cache.plan(id, 5, false, {}, {}, 1);
  EXPECT_EQ(plan.kind, PlanKind::kError);
  EXPECT_EQ(plan.error, ErrorCode::InvalidFetchSessionEpoch);
  EXPECT_EQ(cache.plan(id, 1, false, {}, {}, 1).kind, PlanKind::kIncremental);  // still expects 1
}

TEST(FetchSessionCache, UnknownSessionIsNotFound) {
  FetchSessionCache cache(10);
  EXPECT_EQ(cache.plan(12345, 1, false, {}, {}, 0).error, ErrorCode::FetchSessionIdNotFound);
}

TEST(FetchSessionCache, SwitchingTopicNamingIsATopicIdError) {
  FetchSessionCache cache(10);
  int32_t id = open_two(cache);
  EXPECT_EQ(cache.plan(id, 1, true, {}, {}, 1).error, ErrorCode::FetchSessionTopicIdError);
}

TEST(FetchSessionCache, AnswersOnlyPartitionsWithNews) {
  FetchSessionCache cache(10);
  int32_t id = open_two(cache);
  FetchPlan plan = cache.plan(id, 1, false, {}, {}, 1);
  std::vector<bool> send;
  // t-0 unchanged, t-1's high watermark moved.
  ASSERT_EQ(cache.answered(plan, {answer(10), answer(21)}, send), ErrorCode::None);
  EXPECT_EQ(send, (std::vector<bool>{false, true}));

  plan = cache.plan(id, 2, false, {}, {}, 2);
  ASSERT_EQ(cache.answered(plan, {answer(10), answer(21)}, send), ErrorCode::None);
  EXPECT_EQ(send, (std::vector<bool>{false, false}));  // 21 was already sent

  plan = cache.plan(id, 3, false, {}, {}, 3);
  ASSERT_EQ(cache.answered(plan, {answer(10, true), answer(-1, false, 6)}, send), ErrorCode::None);
  EXPECT_EQ(send, (std::vector<bool>{true, true}));  // records; an error

  plan = cache.plan(id, 4, false, {}, {}, 4);
  ASSERT_EQ(plan.partitions.size(), 2u);
  // An error forgets the sent high watermark, so it is sent again once healed.
  std::vector<PartitionAnswer> healed(2, answer(10));
  for (size_t i = 0; i < 2; ++i)
    if (plan.partitions[i].key == key(1)) healed[i] = answer(21);
  ASSERT_EQ(cache.answered(plan, healed, send), ErrorCode::None);
  for (size_t i = 0; i < 2; ++i) EXPECT_EQ(send[i], plan.partitions[i].key == key(1));
}

TEST(FetchSessionCache, SentPartitionsMoveToTheBack) {
  FetchSessionCache cache(10);
  int32_t id = open_two(cache);
  FetchPlan plan = cache.plan(id, 1, false, {}, {}, 1);
  std::vector<bool> send;
  ASSERT_EQ(cache.answered(plan, {answer(10, true), answer(20)}, send), ErrorCode::None);
  plan = cache.plan(id, 2, false, {}, {}, 2);
  ASSERT_EQ(plan.partitions.size(), 2u);
  EXPECT_EQ(plan.partitions[0].key, key(1));
  EXPECT_EQ(plan.partitions[1].key, key(0));
}

TEST(FetchSessionCache, ForgottenPartitionsLeaveAndAnEmptySessionCloses) {
  FetchSessionCache cache(10);
  int32_t id = open_two(cache);
  FetchPlan plan = cache.plan(id, 1, false, {requested(0, 0, "u")}, {key(0)}, 1);
  ASSERT_EQ(plan.kind, PlanKind::kIncremental);
  ASSERT_EQ(plan.partitions.size(), 2u);
  EXPECT_EQ(plan.partitions[0].key, key(1));
  EXPECT_EQ(plan.partitions[1].key, key(0, "u"));
  EXPECT_EQ(cache.plan(id, 2, false, {}, {key(1), key(0, "u")}, 2).kind, PlanKind::kSessionless);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(FetchSessionCache, AnAnswerAfterTheSessionMovedOnIsAnEpochError) {
  FetchSessionCache cache(10);
  int32_t id = open_two(cache);
  FetchPlan first = cache.plan(id, 1, false, {}, {}, 1);
  ASSERT_EQ(cache.plan(id, 2, false, {}, {}, 1).kind, PlanKind::kIncremental);
  std::vector<bool> send;
  EXPECT_EQ(cache.answered(first, {answer(10), answer(20)}, send), ErrorCode::InvalidFetchSessionEpoch);
  EXPECT_TRUE(send.empty());
}

TEST(FetchSessionCache, FullCacheEvictsOnlyIdleSessionsLeastRecentlyUsedFirst) {
  FetchSessionCache cache(2, /*min_idle_before_eviction_ms=*/100);
  int32_t a = open_two(cache, 0);
  int32_t b = open_two(cache, 10);
  EXPECT_EQ(cache.create(false, {sent(0, 0, 0)}, 50), 0);  // nobody idle long enough
  ASSERT_EQ(cache.plan(a, 1, false, {}, {}, 60).kind, PlanKind::kIncremental);  // a used again
  int32_t c = cache.create(false, {sent(0, 0, 0)}, 200);  // b (last used at 10) goes
  EXPECT_GT(c, 0);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.plan(b, 1, false, {}, {}, 200).error, ErrorCode::FetchSessionIdNotFound);
  EXPECT_EQ(cache.plan(a, 2, false, {}, {}, 200).kind, PlanKind::kIncremental);
}

TEST(FetchSessionCache, ZeroSlotsNeverCreatesSessions) {
  FetchSessionCache cache(0);
  EXPECT_EQ(cache.create(false, {sent(0, 0, 0)}, 0), 0);
}

}  // namespace
}  // namespace freshet::server
