// Opening a partition: recovery after a crash (torn or corrupt tails are cut,
// indexes rebuilt) and the fast, exact path after a clean shutdown.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <random>

#include "storage/log_file_names.h"
#include "storage/partition_log.h"
#include "storage_test_batches.h"

namespace freshet::storage {
namespace {

namespace st = freshet::storage::testing;

using st::kNoLimit;

class RecoveryTest : public ::testing::Test {
 protected:
  RecoveryTest() {
    config_.segment_bytes = 2048;
    config_.index_interval_bytes = 256;
  }
  std::filesystem::path dir() const { return tmp_.path() / "events-3"; }
  std::unique_ptr<PartitionLog> open(StartupState state) { return PartitionLog::open(dir(), config_, {}, state); }
  std::unique_ptr<PartitionLog> open_unclean(int64_t recovery_point = 0) {
    return open({.clean_shutdown = false, .recovery_point = recovery_point});
  }
  // Appends `count` batches of 3 records (epoch = batch index / 10).
  std::vector<std::vector<uint8_t>> fill(PartitionLog& log, int count) {
    std::vector<std::vector<uint8_t>> batches;
    for (int i = 0; i < count; ++i) {
      auto batch = st::make_batch(3, 40, 1000 + i);
      log.append(batch, i / 10, 0);
      batches.push_back(std::move(batch));
    }
    return batches;
  }
  std::filesystem::path active_log(const PartitionLog& log) const {
    std::filesystem::path last;
    for (const auto& e : std::filesystem::directory_iterator(dir()))
      if (e.path().extension() == ".log" && e.path() > last) last = e.path();
    return last;
  }
  std::vector<uint8_t> read_all(PartitionLog& log) {
    auto r = log.read(log.log_start_offset(), INT32_MAX, true, kNoLimit);
    return {r.records.bytes.begin(), r.records.bytes.end()};
  }

  LogConfig config_;
  st::TempDir tmp_;
};

TEST_F(RecoveryTest, GarbageAfterTheLastBatchIsCut) {
  auto log = open_unclean();
  auto batches = fill(*log, 40);
  int64_t end = log->log_end_offset();
  auto path = active_log(*log);
  auto good_size = std::filesystem::file_size(path);
  log.reset();  // a crash: nothing sealed or synced
  std::vector<uint8_t> garbage(500, 0xAB);
  st::append_to_file(path, garbage);

  log = open_unclean();
  EXPECT_EQ(log->log_end_offset(), end);
  EXPECT_EQ(std::filesystem::file_size(path), good_size);
  EXPECT_EQ(read_all(*log), st::concat(batches, 0, batches.size()));
  auto next = st::make_batch(1, 10, 0);
  EXPECT_EQ(log->append(next, 4, 0).base_offset, end);
}

TEST_F(RecoveryTest, HalfAWrittenBatchIsCut) {
  auto log = open_unclean();
  auto batches = fill(*log, 25);
  int64_t end = log->log_end_offset();
  auto path = active_log(*log);
  log.reset();
  auto torn = st::make_batch(3, 40, 0);
  protocol::set_base_offset(torn, end);
  st::append_to_file(path, std::span(torn).first(torn.size() / 2));

  log = open_unclean();
  EXPECT_EQ(log->log_end_offset(), end);
  EXPECT_EQ(read_all(*log), st::concat(batches, 0, batches.size()));
}

// The CRC does not cover base_offset: a stored one whose range overflows int64 is cut.
TEST_F(RecoveryTest, ABatchWhoseOffsetsOverflowIsCut) {
  auto log = open_unclean();
  auto batches = fill(*log, 5);
  int64_t end = log->log_end_offset();
  auto path = active_log(*log);
  log.reset();
  auto bad = st::make_batch(3, 40, 0);
  protocol::set_base_offset(bad, INT64_MAX - 1);
  st::append_to_file(path, bad);

  log = open_unclean();
  EXPECT_EQ(log->log_end_offset(), end);
  EXPECT_EQ(read_all(*log), st::concat(batches, 0, batches.size()));
}

TEST_F(RecoveryTest, ABatchWithABadCrcAndEverythingAfterItIsCut) {
  config_.segment_bytes = 1 << 20;  // one segment
  auto log = open_unclean();
  auto batches = fill(*log, 20);
  auto path = active_log(*log);
  log.reset();
  size_t position = st::concat(batches, 0, 12).size();
  {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(position + batches[12].size() - 3));
    file.put('\x7f');
  }
  log = open_unclean();
  EXPECT_EQ(log->log_end_offset(), 12 * 3);
  EXPECT_EQ(read_all(*log), st::concat(batches, 0, 12));
  EXPECT_EQ(std::filesystem::file_size(path), position);
}

TEST_F(RecoveryTest, CorruptionInAnOlderSegmentDropsTheSegmentsAfterIt) {
  auto log = open_unclean();
  auto batches = fill(*log, 60);
  ASSERT_GT(log->segment_count(), 3u);
  log.reset();
  auto first_segment = dir() / segment_file_name(0, kLogFileSuffix);
  {
    std::fstream file(first_segment, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(batches[0].size() + batches[1].size() + 70));
    file.put('\x01');
  }
  log = open_unclean();
  EXPECT_EQ(log->segment_count(), 1u);
  EXPECT_EQ(log->log_end_offset(), 2 * 3);
  EXPECT_EQ(read_all(*log), st::concat(batches, 0, 2));
}

TEST_F(RecoveryTest, AnyDamageLeavesAValidPrefix) {
  auto log = open_unclean();
  auto batches = fill(*log, 30);
  log.reset();
  auto original = st::read_file(dir() / segment_file_name(0, kLogFileSuffix));
  std::mt19937 rng(5);
  for (int round = 0; round < 40; ++round) {
    // Every segment but the first is removed; the first gets cut short and/or a byte flipped.
    std::filesystem::remove_all(dir());
    log = open_unclean();
    log.reset();
    auto damaged = original;
    damaged.resize(rng() % (original.size() + 1));
    if (!damaged.empty() && rng() % 2) {
      // Flip a byte the CRC or the framing protects: not base_offset nor
      // partition_leader_epoch, which the CRC leaves out (the log rewrites them).
      size_t position = rng() % damaged.size();
      size_t batch_start = 0;
      for (size_t i = 0; batch_start + batches[i].size() <= position; ++i) batch_start += batches[i].size();
      size_t in_batch = position - batch_start;
      bool unprotected = in_batch < 8 || (in_batch >= 12 && in_batch < 16);
      if (!unprotected) damaged[position] ^= static_cast<uint8_t>(1 + rng() % 255);
    }
    std::filesystem::remove(dir() / segment_file_name(0, kLogFileSuffix));
    st::append_to_file(dir() / segment_file_name(0, kLogFileSuffix), damaged);

    log = open_unclean();
    auto kept = read_all(*log);
    size_t whole = 0;
    while (whole < batches.size() && st::concat(batches, 0, whole + 1).size() <= kept.size()) ++whole;
    ASSERT_EQ(kept, st::concat(batches, 0, whole)) << "round " << round;
    EXPECT_EQ(log->log_end_offset(), static_cast<int64_t>(whole) * 3);
    log.reset();
  }
}

TEST_F(RecoveryTest, SegmentsBelowTheRecoveryPointAreNotScanned) {
  auto log = open_unclean();
  fill(*log, 60);
  int64_t end = log->log_end_offset();
  log.reset();
  // Damage the first segment's payload: below the recovery point nobody looks.
  auto first_segment = dir() / segment_file_name(0, kLogFileSuffix);
  {
    std::fstream file(first_segment, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(150);
    file.put('\x01');
  }
  log = open_unclean(/*recovery_point=*/end);
  EXPECT_EQ(log->log_end_offset(), end);
  EXPECT_GT(log->segment_count(), 3u);
}

TEST_F(RecoveryTest, CleanReopenIsExact) {
  auto log = open_unclean();
  auto batches = fill(*log, 80);
  auto before_read = read_all(*log);
  auto before_ts = log->offset_for_timestamp(1040);
  auto before_max = log->max_timestamp_offset();
  size_t segments = log->segment_count();
  int64_t end = log->log_end_offset();
  log->close();

  log = open({.clean_shutdown = true, .recovery_point = end});
  EXPECT_EQ(log->log_end_offset(), end);
  EXPECT_EQ(log->recovery_point(), end);
  EXPECT_EQ(log->segment_count(), segments);
  EXPECT_EQ(read_all(*log), before_read);
  EXPECT_EQ(log->offset_for_timestamp(1040), before_ts);
  EXPECT_EQ(log->max_timestamp_offset(), before_max);
  EXPECT_EQ(log->latest_epoch(), 7);
  auto next = st::make_batch(1, 10, 0);
  EXPECT_EQ(log->append(next, 7, 0).base_offset, end);
}

TEST_F(RecoveryTest, CleanReopenOfManySegmentsIsFast) {
  config_.segment_bytes = 1024;
  auto log = open_unclean();
  for (int i = 0; i < 500; ++i) {
    auto batch = st::make_batch(3, 40, 1000 + i);
    log->append(batch, 0, 0);
  }
  ASSERT_GE(log->segment_count(), 100u);
  int64_t end = log->log_end_offset();
  log->close();

  auto start = std::chrono::steady_clock::now();
  log = open({.clean_shutdown = true, .recovery_point = end});
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(log->log_end_offset(), end);
  // A few syscalls per segment and no reads of old segments: ~2 ms here (300
  // segments: ~20 ms); the bound is generous for a busy CI box.
  EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count(), 100);
}

TEST_F(RecoveryTest, MissingOrCorruptIndexesAreRebuilt) {
  auto log = open_unclean();
  auto batches = fill(*log, 60);
  int64_t end = log->log_end_offset();
  auto expected_ts = log->offset_for_timestamp(1030);
  log->close();
  std::filesystem::remove(dir() / segment_file_name(0, kOffsetIndexFileSuffix));
  std::vector<uint8_t> odd(13, 0xFF);  // not a whole number of entries
  {
    std::ofstream out(dir() / segment_file_name(0, kTimeIndexFileSuffix), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(odd.data()), 13);
  }
  auto active = active_log(*log);
  auto active_base = *parse_segment_file_name(active.filename().string(), kLogFileSuffix);
  std::filesystem::remove(dir() / segment_file_name(active_base, kOffsetIndexFileSuffix));

  log = open({.clean_shutdown = true, .recovery_point = end});
  EXPECT_EQ(log->log_end_offset(), end);
  EXPECT_EQ(read_all(*log), st::concat(batches, 0, batches.size()));
  EXPECT_EQ(log->offset_for_timestamp(1030), expected_ts);
  for (int64_t offset = 0; offset < end; offset += 5) {
    auto one = log->read(offset, 1, true, kNoLimit);
    auto header = *protocol::parse_batch_header(one.records.bytes);
    EXPECT_LE(header.base_offset, offset);
    EXPECT_GE(header.last_offset(), offset);
  }
}

TEST_F(RecoveryTest, RecoveryRebuildsLeaderEpochsFromTheBatches) {
  auto log = open_unclean();
  fill(*log, 35);  // epochs 0 (offsets 0..29), 1 (30..59), 2 (60..89), 3 (90..104)
  int64_t end = log->log_end_offset();
  log.reset();
  std::filesystem::remove(dir() / "leader-epoch-checkpoint");
  log = open_unclean();
  EXPECT_EQ(log->latest_epoch(), 3);
  EXPECT_EQ(log->end_offset_for_epoch(1), std::make_pair(1, int64_t{60}));
  EXPECT_EQ(log->end_offset_for_epoch(3), std::make_pair(3, end));
  EXPECT_EQ(st::read_text(dir() / "leader-epoch-checkpoint"), "0\n4\n0 0\n1 30\n2 60\n3 90\n");
}

TEST_F(RecoveryTest, StrayFilesAreRemoved) {
  open_unclean()->close();
  std::ofstream(dir() / "00000000000000000099.index") << "x";
  std::ofstream(dir() / "leader-epoch-checkpoint.tmp") << "x";
  open_unclean();
  EXPECT_FALSE(std::filesystem::exists(dir() / "00000000000000000099.index"));
  EXPECT_FALSE(std::filesystem::exists(dir() / "leader-epoch-checkpoint.tmp"));
}

}  // namespace
}  // namespace freshet::storage
