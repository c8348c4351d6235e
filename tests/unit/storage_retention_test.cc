// PartitionLog retention: retention.ms, retention.bytes, the log start
// offset (DeleteRecords), the high watermark bound, quiet segments rolled by
// segment.ms, deferred file deletion, and what survives a reopen.
#include <gtest/gtest.h>

#include "storage/leader_epoch_cache.h"
#include "storage/log_file_names.h"
#include "storage/partition_log.h"
#include "storage_test_batches.h"

namespace freshet::storage {
namespace {

namespace st = freshet::storage::testing;

using st::kNoLimit;
using st::kTopicId;

constexpr int64_t kDay = 24 * 3600 * 1000;

class RetentionTest : public st::PartitionDirTest {
 protected:
  // Every batch goes to a segment of its own (segment.bytes = 1).
  static LogConfig one_batch_segments() {
    LogConfig config;
    config.segment_bytes = 1;
    config.retention_ms = -1;
    config.file_delete_delay_ms = 60000;
    return config;
  }
  // Appends one 2-record batch per timestamp, at leader epoch `epoch`.
  static void append_at(PartitionLog& log, std::initializer_list<int64_t> timestamps_ms, int32_t epoch = 0) {
    for (int64_t ts : timestamps_ms) {
      auto batch = st::make_batch(2, 50, ts);
      ASSERT_EQ(log.append(batch, epoch, ts).status, AppendStatus::kAppended);
    }
  }
};

TEST_F(RetentionTest, RetentionMsDeletesTheSegmentsWhoseNewestRecordIsTooOld) {
  LogConfig config = one_batch_segments();
  config.retention_ms = kDay;
  auto log = open(config);
  append_at(*log, {1 * kDay, 2 * kDay, 3 * kDay, 4 * kDay});  // offsets 0-1, 2-3, 4-5, 6-7
  ASSERT_EQ(log->segment_count(), 4u);

  // At day 3.5 the segments of days 1 and 2 are more than a day old.
  RetentionOutcome outcome = log->enforce_retention(3 * kDay + kDay / 2, log->log_end_offset());
  EXPECT_EQ(outcome.segments, 2u);
  EXPECT_GT(outcome.bytes, 0u);
  EXPECT_EQ(log->segment_count(), 2u);
  EXPECT_EQ(log->log_start_offset(), 4);
  EXPECT_EQ(log->log_end_offset(), 8);
  EXPECT_EQ(log->read(2, 1 << 20, true, kNoLimit).status, ReadStatus::kOffsetOutOfRange);
  EXPECT_EQ(st::headers_of(log->read(4, 1 << 20, true, kNoLimit).records.bytes).front().base_offset, 4);
  // Nothing more is due: the same pass again deletes nothing.
  EXPECT_EQ(log->enforce_retention(3 * kDay + kDay / 2, log->log_end_offset()).segments, 0u);
}

TEST_F(RetentionTest, DeletedFilesAreRemovedAfterTheDelayOrAtTheNextOpen) {
  LogConfig config = one_batch_segments();
  config.retention_ms = kDay;
  auto log = open(config);
  append_at(*log, {1 * kDay, 5 * kDay});
  const int64_t now = 5 * kDay;
  ASSERT_EQ(log->enforce_retention(now, log->log_end_offset()).segments, 1u);
  EXPECT_FALSE(std::filesystem::exists(dir() / segment_file_name(0, kLogFileSuffix)));
  EXPECT_TRUE(std::filesystem::exists(dir() / (segment_file_name(0, kLogFileSuffix) + ".deleted")));
  EXPECT_TRUE(log->enforce_retention(now + config.file_delete_delay_ms - 1, log->log_end_offset()).files_due.empty());
  EXPECT_GT(files_ending_with(kDeletedFileSuffix), 0u);
  // Handed back for removal (off the owner thread in the broker).
  auto due = log->enforce_retention(now + config.file_delete_delay_ms, log->log_end_offset()).files_due;
  EXPECT_EQ(due.size(), files_ending_with(kDeletedFileSuffix));
  remove_retired_files(due);
  EXPECT_EQ(files_ending_with(kDeletedFileSuffix), 0u);

  append_at(*log, {6 * kDay});
  ASSERT_EQ(log->enforce_retention(7 * kDay + 1, log->log_end_offset()).segments, 1u);
  EXPECT_GT(files_ending_with(kDeletedFileSuffix), 0u);
  log->close();
  log = open(config, {.clean_shutdown = true, .recovery_point = 0, .log_start_offset = 0});
  EXPECT_EQ(files_ending_with(kDeletedFileSuffix), 0u);
  EXPECT_EQ(log->log_start_offset(), 4);  // the first segment left, whatever the checkpoint said
  EXPECT_EQ(log->log_end_offset(), 6);
}

TEST_F(RetentionTest, RetentionBytesKeepsAtLeastThatMuch) {
  LogConfig config = one_batch_segments();
  auto log = open(config);
  append_at(*log, {1000, 2000, 3000, 4000, 5000});
  const uint64_t segment_bytes = log->size_bytes() / 5;
  config.retention_bytes = static_cast<int64_t>(2 * segment_bytes + segment_bytes / 2);
  log->set_config(config);
  EXPECT_EQ(log->enforce_retention(6000, log->log_end_offset()).segments, 2u);
  EXPECT_EQ(log->size_bytes(), 3 * segment_bytes);
  EXPECT_EQ(log->log_start_offset(), 4);
}

TEST_F(RetentionTest, NothingAtOrAboveTheHighWatermarkIsDeleted) {
  LogConfig config = one_batch_segments();
  config.retention_ms = kDay;
  auto log = open(config);
  append_at(*log, {1000, 2000, 3000});  // segments [0,2) [2,4) [4,6)
  EXPECT_EQ(log->enforce_retention(10 * kDay, 3).segments, 1u);  // [2,4) ends above the high watermark
  EXPECT_EQ(log->log_start_offset(), 2);
  EXPECT_EQ(log->enforce_retention(10 * kDay, 4).segments, 1u);
  EXPECT_EQ(log->log_start_offset(), 4);
}

TEST_F(RetentionTest, DeletingEverySegmentLeavesAnEmptyOneAtTheLogEnd) {
  LogConfig config = one_batch_segments();
  config.segment_bytes = 1 << 20;  // one segment holds everything
  config.retention_ms = kDay;
  auto log = open(config);
  append_at(*log, {1000, 2000});
  ASSERT_EQ(log->segment_count(), 1u);
  EXPECT_EQ(log->enforce_retention(10 * kDay, log->log_end_offset()).segments, 1u);
  EXPECT_EQ(log->segment_count(), 1u);
  EXPECT_EQ(log->log_start_offset(), 4);
  EXPECT_EQ(log->log_end_offset(), 4);
  EXPECT_TRUE(log->read(4, 1 << 20, true, kNoLimit).records.bytes.empty());
  // The empty active segment is not deleted again, and appends go on from the end.
  EXPECT_EQ(log->enforce_retention(20 * kDay, log->log_end_offset()).segments, 0u);
  append_at(*log, {20 * kDay});
  EXPECT_EQ(log->log_end_offset(), 6);
}

TEST_F(RetentionTest, CompactOnlyTopicsKeepOldSegmentsButHonourTheLogStart) {
  LogConfig config = one_batch_segments();
  config.retention_ms = kDay;
  config.retention_bytes = 0;
  config.delete_retention = false;
  auto log = open(config);
  append_at(*log, {1000, 2000, 3000});
  EXPECT_EQ(log->enforce_retention(10 * kDay, log->log_end_offset()).segments, 0u);
  log->advance_log_start_offset(3);
  EXPECT_EQ(log->enforce_retention(10 * kDay, log->log_end_offset()).segments, 1u);  // only [0,2) lies below 3
  EXPECT_EQ(log->log_start_offset(), 3);
}

TEST_F(RetentionTest, AdvancingTheLogStartHidesRecordsAndSurvivesAReopen) {
  LogConfig config = one_batch_segments();
  auto log = open(config);
  append_at(*log, {1000, 2000, 3000});
  log->advance_log_start_offset(3);
  EXPECT_EQ(log->log_start_offset(), 3);
  EXPECT_EQ(log->read(2, 1 << 20, true, kNoLimit).status, ReadStatus::kOffsetOutOfRange);
  // The batch holding offset 3 starts at 2: it is read whole, as Kafka does.
  EXPECT_EQ(st::headers_of(log->read(3, 1 << 20, true, kNoLimit).records.bytes).front().base_offset, 2);
  EXPECT_EQ(log->offset_for_timestamp(0)->offset, 3);
  log->advance_log_start_offset(1);  // never moves back
  EXPECT_EQ(log->log_start_offset(), 3);
  log->close();
  log = open(config, {.clean_shutdown = true, .recovery_point = 6, .log_start_offset = 3});
  EXPECT_EQ(log->log_start_offset(), 3);
}

TEST_F(RetentionTest, TheLeaderEpochCacheStartsAtTheLogStart) {
  LogConfig config = one_batch_segments();
  config.retention_ms = kDay;
  auto log = open(config);
  append_at(*log, {1000}, 1);
  append_at(*log, {2000}, 2);
  append_at(*log, {3 * kDay}, 3);  // offsets: epoch 1 at 0, 2 at 2, 3 at 4
  ASSERT_EQ(log->enforce_retention(3 * kDay, log->log_end_offset()).segments, 2u);
  // Epoch 2 is gone: below every epoch known, the answer is the first one's start.
  EXPECT_EQ(log->end_offset_for_epoch(2), std::make_pair(2, int64_t{4}));
  LeaderEpochCache persisted(dir() / kLeaderEpochCheckpointFileName);
  EXPECT_EQ(persisted.entries(), (std::vector<EpochEntry>{{3, 4}}));
}

TEST_F(RetentionTest, AQuietActiveSegmentRollsAfterSegmentMsAndThenAgesOut) {
  LogConfig config = one_batch_segments();
  config.segment_bytes = 1 << 20;
  config.segment_ms = kDay;
  config.retention_ms = 2 * kDay;
  auto log = open(config);
  append_at(*log, {1000});  // the batch's max timestamp: 1001
  EXPECT_EQ(log->enforce_retention(kDay + 1001, log->log_end_offset()).segments, 0u);
  EXPECT_EQ(log->segment_count(), 1u);
  EXPECT_EQ(log->enforce_retention(kDay + 1002, log->log_end_offset()).segments, 0u);
  EXPECT_EQ(log->segment_count(), 2u);  // rolled: the records now sit in a sealed segment
  EXPECT_EQ(log->enforce_retention(2 * kDay + 1001, log->log_end_offset()).segments, 0u);
  EXPECT_EQ(log->enforce_retention(2 * kDay + 1002, log->log_end_offset()).segments, 1u);
  EXPECT_EQ(log->log_start_offset(), 2);
  EXPECT_EQ(log->segment_count(), 1u);
}

TEST(LeaderEpochCacheStart, TruncatingFromTheStartKeepsTheCoveringEpoch) {
  st::TempDir tmp;
  LeaderEpochCache cache(tmp.path() / "leader-epoch-checkpoint");
  cache.assign(1, 0);
  cache.assign(2, 10);
  cache.assign(3, 20);
  EXPECT_FALSE(cache.truncate_from_start(0));
  EXPECT_TRUE(cache.truncate_from_start(15));
  EXPECT_EQ(cache.entries(), (std::vector<EpochEntry>{{2, 15}, {3, 20}}));
  EXPECT_TRUE(cache.truncate_from_start(20));
  EXPECT_EQ(cache.entries(), (std::vector<EpochEntry>{{3, 20}}));
  EXPECT_FALSE(cache.truncate_from_start(20));
  EXPECT_FALSE(cache.truncate_from_start(5));
}

}  // namespace
}  // namespace freshet::storage
