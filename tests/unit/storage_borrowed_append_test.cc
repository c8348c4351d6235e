// PartitionLog's copy-free append: append_borrowed writes from the caller's
// bytes (e.g. a request frame) and leaves them untouched; the .log's blocks
// are reserved ahead of its end without the file size ever showing it.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <random>

#include "storage/log_file_names.h"
#include "storage/partition_log.h"
#include "storage_test_batches.h"

namespace freshet::storage {
namespace {

namespace st = freshet::storage::testing;

using st::kNoLimit;
using st::kTopicId;

class BorrowedAppendTest : public ::testing::Test {
 protected:
  std::filesystem::path dir() const { return tmp_.path() / "orders-0"; }
  std::unique_ptr<PartitionLog> open(const LogConfig& config = {}) {
    return PartitionLog::open(dir(), config, kTopicId, StartupState{});
  }
  st::TempDir tmp_;
};

using st::bytes_of;

TEST_F(BorrowedAppendTest, LeavesTheBatchUntouchedAndStoresWhatAppendWould) {
  auto log = open();
  auto batch = st::make_batch(3, 50, 1000);
  const auto original = batch;
  log->append_borrowed(batch, 0, 0);
  auto result = log->append_borrowed(batch, 7, 0);
  EXPECT_EQ(batch, original);
  EXPECT_EQ(result.base_offset, 3);
  EXPECT_EQ(result.last_offset, 5);
  EXPECT_EQ(log->log_end_offset(), 6);
  EXPECT_EQ(log->latest_epoch(), 7);

  auto stored = bytes_of(log->read(3, 1 << 20, true, kNoLimit));
  ASSERT_EQ(stored.size(), batch.size());
  auto header = *protocol::parse_batch_header(stored);
  EXPECT_EQ(header.base_offset, 3);
  EXPECT_EQ(header.partition_leader_epoch, 7);
  EXPECT_TRUE(protocol::batch_crc_valid(stored));
  auto in_place = batch;  // what append() would have stored
  protocol::set_base_offset(in_place, 3);
  protocol::set_partition_leader_epoch(in_place, 7);
  EXPECT_EQ(stored, in_place);
}

TEST_F(BorrowedAppendTest, RejectsAnythingButOneWholeBatch) {
  auto log = open();
  auto batch = st::make_batch(2, 10, 0);
  std::vector<uint8_t> torn(batch.begin(), batch.end() - 1);
  EXPECT_THROW(log->append_borrowed(torn, 0, 0), std::invalid_argument);
  EXPECT_EQ(log->log_end_offset(), 0);
}

TEST_F(BorrowedAppendTest, ReadsBackAcrossRollsAndReopening) {
  LogConfig config;
  config.segment_bytes = 4096;
  config.index_interval_bytes = 200;
  auto log = open(config);
  std::mt19937 rng(11);
  std::vector<uint8_t> expected;
  for (int i = 0; i < 200; ++i) {
    auto batch = st::make_batch(1 + rng() % 5, 10 + rng() % 300, 1000 + i);
    auto result = log->append_borrowed(batch, 2, 0);
    protocol::set_base_offset(batch, result.base_offset);
    protocol::set_partition_leader_epoch(batch, 2);
    expected.insert(expected.end(), batch.begin(), batch.end());
  }
  ASSERT_GT(log->segment_count(), 5u);
  EXPECT_EQ(bytes_of(log->read(0, 1 << 30, true, kNoLimit)), expected);
  EXPECT_EQ(log->size_bytes(), expected.size());
  log->close();

  StartupState clean;
  clean.clean_shutdown = true;
  auto reopened = PartitionLog::open(dir(), config, kTopicId, clean);
  EXPECT_EQ(bytes_of(reopened->read(0, 1 << 30, true, kNoLimit)), expected);
}

TEST_F(BorrowedAppendTest, SpaceReservedAheadIsInvisibleAndReleasedAtRoll) {
  LogConfig config;
  config.segment_bytes = 256 * 1024;
  auto log = open(config);
  auto batch = st::make_batch(10, 1000, 0);
  size_t appended = 0;
  while (log->segment_count() < 2) {
    log->append_borrowed(batch, 0, 0);
    appended += batch.size();
  }
  // File sizes are exact: the reservation never shows.
  EXPECT_EQ(log->size_bytes(), appended);
  auto first_log = dir() / segment_file_name(0, kLogFileSuffix);
  uint64_t first_size = std::filesystem::file_size(first_log);
  EXPECT_EQ(first_size + batch.size(), appended);
  // The rolled segment's blocks past its end (about its size again) were
  // released; allow some file-system-specific slack.
  struct stat st;
  ASSERT_EQ(::stat(first_log.c_str(), &st), 0);
  EXPECT_LE(static_cast<uint64_t>(st.st_blocks) * 512, first_size + 64 * 1024);
  EXPECT_EQ(bytes_of(log->read(0, 1 << 30, true, kNoLimit)).size(), appended);
}

}  // namespace
}  // namespace freshet::storage
