// Group-commit flushing: what flush_target() hands out, mark_flushed(), and
// file handles that outlive rolls, truncations and deletion.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "storage/partition_log.h"
#include "storage_test_batches.h"

namespace freshet::storage {
namespace {

namespace st = freshet::storage::testing;

bool has_file(const FlushTarget& target, const std::filesystem::path& path) {
  return std::any_of(target.files.begin(), target.files.end(),
                     [&](const auto& f) { return f->path().filename() == path.filename(); });
}

class FlushTest : public ::testing::Test {
 protected:
  std::filesystem::path dir() const { return tmp_.path() / "t-0"; }
  void append(PartitionLog& log, int count) {
    for (int i = 0; i < count; ++i) {
      auto batch = st::make_batch(2, 100, 0);
      log.append(batch, 0, 0);
    }
  }
  st::TempDir tmp_;
};

TEST_F(FlushTest, FlushOnAnotherThreadAdvancesTheRecoveryPoint) {
  auto log = PartitionLog::open(dir(), {}, {}, {});
  auto first = log->flush_target();  // the new directory entries
  EXPECT_FALSE(first.files.empty());
  first.sync();
  log->mark_flushed(first);
  EXPECT_EQ(log->recovery_point(), 0);

  append(*log, 3);
  auto target = log->flush_target();
  EXPECT_EQ(target.offset, 6);
  EXPECT_TRUE(has_file(target, "00000000000000000000.log"));
  append(*log, 1);  // appended after the target: not covered by it
  std::thread flusher([&] { target.sync(); });
  flusher.join();
  log->mark_flushed(target);
  EXPECT_EQ(log->recovery_point(), 6);

  auto rest = log->flush_target();
  EXPECT_EQ(rest.offset, 8);
  rest.sync();
  log->mark_flushed(rest);
  EXPECT_EQ(log->recovery_point(), 8);
  EXPECT_TRUE(log->flush_target().files.empty());  // nothing new
}

TEST_F(FlushTest, ARollAddsTheSealedIndexesAndTheDirectory) {
  LogConfig config;
  config.segment_bytes = 1024;
  config.index_interval_bytes = 100;
  auto log = PartitionLog::open(dir(), config, {}, {});
  log->mark_flushed(log->flush_target());
  append(*log, 3);
  auto before_roll = log->flush_target();
  log->mark_flushed(before_roll);
  append(*log, 5);
  ASSERT_GE(log->segment_count(), 2u);  // 3 batches per segment: rolled at offset 6
  auto target = log->flush_target();
  EXPECT_TRUE(has_file(target, "00000000000000000000.log"));
  EXPECT_TRUE(has_file(target, "00000000000000000000.index"));
  EXPECT_TRUE(has_file(target, "00000000000000000000.timeindex"));
  EXPECT_TRUE(has_file(target, "t-0"));
  EXPECT_TRUE(has_file(target, "00000000000000000006.log"));
  target.sync();
  log->mark_flushed(target);
  EXPECT_EQ(log->recovery_point(), log->log_end_offset());
}

TEST_F(FlushTest, AFailedFlushKeepsTheDirectoryForTheNextOne) {
  LogConfig config;
  config.segment_bytes = 1024;
  auto log = PartitionLog::open(dir(), config, {}, {});
  log->mark_flushed(log->flush_target());
  append(*log, 5);  // rolls: the new segment's entry is in t-0
  auto failed = log->flush_target();
  ASSERT_TRUE(has_file(failed, "t-0"));
  log->flush_failed(failed);  // its sync threw: the retry must sync the directory again
  auto retry = log->flush_target();
  EXPECT_TRUE(has_file(retry, "t-0"));
  retry.sync();
  log->mark_flushed(retry);
  EXPECT_FALSE(has_file(log->flush_target(), "t-0"));
}

TEST_F(FlushTest, HandlesOutliveTruncationAndATruncationVoidsTheTarget) {
  auto log = PartitionLog::open(dir(), {}, {}, {});
  append(*log, 5);
  auto target = log->flush_target();
  log->truncate_to(0);
  append(*log, 5);
  target.sync();  // the old handles are still open
  log->mark_flushed(target);
  EXPECT_EQ(log->recovery_point(), 0);  // the target predates the truncation
}

TEST_F(FlushTest, HandlesOutliveDeletion) {
  auto log = PartitionLog::open(dir(), {}, {}, {});
  append(*log, 5);
  auto target = log->flush_target();
  log->delete_all();
  EXPECT_FALSE(std::filesystem::exists(dir()));
  target.sync();
}

TEST_F(FlushTest, CloseMakesEverythingDurable) {
  auto log = PartitionLog::open(dir(), {}, {}, {});
  append(*log, 5);
  log->close();
  EXPECT_EQ(log->recovery_point(), 10);
}

}  // namespace
}  // namespace freshet::storage
