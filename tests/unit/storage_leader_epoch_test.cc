// Leader epochs: Kafka's assign / endOffsetFor rules, the checkpoint file, and
// the partition log keeping them in step with appends and truncation.
#include <gtest/gtest.h>

#include <fstream>

#include "storage/leader_epoch_cache.h"
#include "storage/partition_log.h"
#include "storage/storage_error.h"
#include "storage_test_batches.h"

namespace freshet::storage {
namespace {

namespace st = freshet::storage::testing;

TEST(LeaderEpochCacheTest, EndOffsetForFollowsKafka) {
  st::TempDir tmp;
  LeaderEpochCache cache(tmp.path() / "leader-epoch-checkpoint");
  EXPECT_EQ(cache.end_offset_for(0, 10), std::make_pair(kUndefinedEpoch, kUndefinedEpochOffset));
  cache.assign(2, 5);
  cache.assign(4, 20);
  cache.assign(7, 50);
  const int64_t leo = 80;
  EXPECT_EQ(cache.end_offset_for(kUndefinedEpoch, leo), std::make_pair(kUndefinedEpoch, kUndefinedEpochOffset));
  EXPECT_EQ(cache.end_offset_for(7, leo), std::make_pair(7, leo));       // the latest: the log end
  EXPECT_EQ(cache.end_offset_for(4, leo), std::make_pair(4, int64_t{50}));
  EXPECT_EQ(cache.end_offset_for(5, leo), std::make_pair(4, int64_t{50}));  // unknown: the one below
  EXPECT_EQ(cache.end_offset_for(1, leo), std::make_pair(1, int64_t{5}));   // below all
  EXPECT_EQ(cache.end_offset_for(9, leo), std::make_pair(kUndefinedEpoch, kUndefinedEpochOffset));
}

TEST(LeaderEpochCacheTest, AssignKeepsEpochsAndOffsetsAscending) {
  st::TempDir tmp;
  LeaderEpochCache cache(tmp.path() / "leader-epoch-checkpoint");
  EXPECT_TRUE(cache.assign(1, 0));
  EXPECT_FALSE(cache.assign(1, 10));  // same epoch later on: nothing new
  EXPECT_TRUE(cache.assign(3, 10));
  EXPECT_TRUE(cache.assign(5, 30));
  EXPECT_TRUE(cache.assign(4, 20));   // conflicts with 5@30: it goes
  EXPECT_EQ(cache.entries(), (std::vector<EpochEntry>{{1, 0}, {3, 10}, {4, 20}}));
  EXPECT_TRUE(cache.truncate_from_end(10));
  EXPECT_EQ(cache.entries(), (std::vector<EpochEntry>{{1, 0}}));
  EXPECT_FALSE(cache.truncate_from_end(10));
}

TEST(LeaderEpochCacheTest, CheckpointRoundTripsInKafkasFormat) {
  st::TempDir tmp;
  auto path = tmp.path() / "leader-epoch-checkpoint";
  {
    LeaderEpochCache cache(path);
    cache.assign(0, 0);
    cache.assign(3, 120);
    cache.persist();
  }
  EXPECT_EQ(st::read_text(path), "0\n2\n0 0\n3 120\n");
  LeaderEpochCache reloaded(path);
  EXPECT_EQ(reloaded.entries(), (std::vector<EpochEntry>{{0, 0}, {3, 120}}));
  EXPECT_EQ(reloaded.latest_epoch(), 3);
}

TEST(LeaderEpochCacheTest, MalformedCheckpointsAreErrors) {
  st::TempDir tmp;
  auto path = tmp.path() / "leader-epoch-checkpoint";
  for (const char* text : {"1\n0\n", "0\n2\n0 0\n", "0\n1\n0\n", "0\n1\nx 5\n", "zero\n"}) {
    std::ofstream(path, std::ios::trunc) << text;
    EXPECT_THROW(LeaderEpochCache cache(path), StorageError) << text;
  }
}

TEST(LeaderEpochCacheTest, PartitionLogTracksEpochsOfAppends) {
  st::TempDir tmp;
  auto dir = tmp.path() / "t-0";
  auto log = PartitionLog::open(dir, {}, {}, {});
  auto append = [&](int records, int32_t epoch) {
    auto batch = st::make_batch(records, 10, 0);
    log->append(batch, epoch, 0);
  };
  append(5, 1);  // 0..4
  append(5, 1);  // 5..9
  append(5, 4);  // 10..14
  append(5, 6);  // 15..19
  EXPECT_EQ(st::read_text(dir / "leader-epoch-checkpoint"), "0\n3\n1 0\n4 10\n6 15\n");
  EXPECT_EQ(log->end_offset_for_epoch(1), std::make_pair(1, int64_t{10}));
  EXPECT_EQ(log->end_offset_for_epoch(5), std::make_pair(4, int64_t{15}));
  EXPECT_EQ(log->end_offset_for_epoch(6), std::make_pair(6, int64_t{20}));

  log->truncate_to(15);  // epoch 6 loses its only batch
  EXPECT_EQ(log->latest_epoch(), 4);
  EXPECT_EQ(st::read_text(dir / "leader-epoch-checkpoint"), "0\n2\n1 0\n4 10\n");
  log->close();
  log = PartitionLog::open(dir, {}, {}, {.clean_shutdown = true});
  EXPECT_EQ(log->end_offset_for_epoch(4), std::make_pair(4, int64_t{15}));
}

TEST(LeaderEpochCacheTest, NewLeaderEpochStartsAtTheLogEnd) {
  st::TempDir tmp;
  auto dir = tmp.path() / "t-0";
  auto log = PartitionLog::open(dir, {}, {}, {});
  auto batch = st::make_batch(5, 10, 0);
  log->append(batch, 2, 0);  // 0..4 in epoch 2
  log->begin_leader_epoch(3);
  EXPECT_EQ(log->latest_epoch(), 3);
  // A follower still in epoch 2 learns where it ended, before any write in 3.
  EXPECT_EQ(log->end_offset_for_epoch(2), std::make_pair(2, int64_t{5}));
  log->begin_leader_epoch(1);  // older: ignored
  log->begin_leader_epoch(3);  // again: ignored
  EXPECT_EQ(st::read_text(dir / "leader-epoch-checkpoint"), "0\n2\n2 0\n3 5\n");
}

}  // namespace
}  // namespace freshet::storage
