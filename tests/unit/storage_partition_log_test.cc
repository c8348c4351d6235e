// PartitionLog: offset assignment, reads across segments and their bounds,
// segment rolls, file formats, follower appends and truncation.
#include <gtest/gtest.h>
#include <unistd.h>

#include <random>

#include "storage/big_endian.h"
#include "storage/log_file_names.h"
#include "storage/partition_log.h"
#include "storage/partition_metadata.h"
#include "storage/storage_error.h"
#include "storage_test_batches.h"

namespace freshet::storage {
namespace {

namespace st = freshet::storage::testing;

using st::kNoLimit;
using st::kTopicId;

class PartitionLogTest : public ::testing::Test {
 protected:
  std::filesystem::path dir() const { return tmp_.path() / "orders-0"; }
  std::unique_ptr<PartitionLog> open(const LogConfig& config = {}, StartupState state = {}) {
    return PartitionLog::open(dir(), config, kTopicId, state);
  }
  // Appends `count` batches of random sizes; returns each batch's bytes as stored.
  std::vector<std::vector<uint8_t>> append_random(PartitionLog& log, int count, uint32_t seed = 7) {
    std::mt19937 rng(seed);
    std::vector<std::vector<uint8_t>> batches;
    for (int i = 0; i < count; ++i) {
      auto batch = st::make_batch(1 + rng() % 5, 10 + rng() % 200, 1000 + i * 10);
      log.append(batch, 1, 0);
      batches.push_back(std::move(batch));
    }
    return batches;
  }
  st::TempDir tmp_;
};

using st::bytes_of;

TEST_F(PartitionLogTest, AppendAssignsOffsetsByRewritingTheHeader) {
  auto log = open();
  auto first = st::make_batch(3, 10, 1000);
  auto second = st::make_batch(2, 10, 2000);
  auto r1 = log->append(first, 5, 0);
  auto r2 = log->append(second, 5, 0);
  EXPECT_EQ(r1.base_offset, 0);
  EXPECT_EQ(r1.last_offset, 2);
  EXPECT_EQ(r2.base_offset, 3);
  EXPECT_EQ(r2.last_offset, 4);
  EXPECT_EQ(log->log_end_offset(), 5);

  auto header = *protocol::parse_batch_header(second);
  EXPECT_EQ(header.base_offset, 3);
  EXPECT_EQ(header.partition_leader_epoch, 5);
  EXPECT_TRUE(protocol::batch_crc_valid(second));

  auto read = log->read(0, 1 << 20, true, kNoLimit);
  ASSERT_EQ(read.status, ReadStatus::kOk);
  EXPECT_EQ(bytes_of(read), st::concat({first, second}, 0, 2));
  EXPECT_EQ(read.next_offset, 5);
}

TEST_F(PartitionLogTest, ReadsAcrossManyRolledSegments) {
  LogConfig config;
  config.segment_bytes = 2048;
  config.index_interval_bytes = 256;
  auto log = open(config);
  auto batches = append_random(*log, 300);
  EXPECT_GT(log->segment_count(), 10u);

  std::vector<protocol::RecordBatchHeader> headers;
  for (const auto& b : batches) headers.push_back(*protocol::parse_batch_header(b));
  for (size_t i = 1; i < headers.size(); ++i) ASSERT_EQ(headers[i].base_offset, headers[i - 1].last_offset() + 1);

  size_t batch = 0;
  for (int64_t offset = 0; offset < log->log_end_offset(); ++offset) {
    while (headers[batch].last_offset() < offset) ++batch;
    auto one = log->read(offset, 1, true, kNoLimit);
    ASSERT_EQ(bytes_of(one), batches[batch]) << "offset " << offset;
    EXPECT_EQ(one.next_offset, headers[batch].last_offset() + 1);
    if (offset % 17 == 0) {
      auto rest = log->read(offset, 1 << 30, false, kNoLimit);
      ASSERT_EQ(bytes_of(rest), st::concat(batches, batch, batches.size())) << "offset " << offset;
      EXPECT_EQ(rest.next_offset, log->log_end_offset());
    }
  }
}

TEST_F(PartitionLogTest, ReadReturnsWholeBatchesWithinMaxBytes) {
  LogConfig config;
  config.segment_bytes = 4096;
  auto log = open(config);
  auto batches = append_random(*log, 100);
  for (int32_t max_bytes : {100, 1000, 3000, 5000, 20000}) {
    auto read = log->read(0, max_bytes, false, kNoLimit);
    size_t expected = 0, count = 0;
    while (count < batches.size() && expected + batches[count].size() <= static_cast<size_t>(max_bytes))
      expected += batches[count++].size();
    EXPECT_EQ(read.records.bytes.size(), expected) << max_bytes;
    EXPECT_EQ(st::headers_of(read.records.bytes).size(), count);
  }
}

TEST_F(PartitionLogTest, ReadNeverPassesMaxOffset) {
  LogConfig config;
  config.segment_bytes = 1024;
  auto log = open(config);
  for (int i = 0; i < 20; ++i) {
    auto batch = st::make_batch(4, 20, 0);
    log->append(batch, 0, 0);
  }
  // Batches hold offsets [0,3], [4,7], ...: a bound of 10 allows the first two.
  auto read = log->read(0, 1 << 20, true, 10);
  auto headers = st::headers_of(read.records.bytes);
  ASSERT_EQ(headers.size(), 2u);
  EXPECT_EQ(headers.back().last_offset(), 7);
  EXPECT_EQ(read.next_offset, 8);
  // The batch holding the requested offset crosses the bound: nothing.
  EXPECT_TRUE(log->read(8, 1 << 20, true, 10).records.bytes.empty());
  EXPECT_TRUE(log->read(12, 1 << 20, true, 12).records.bytes.empty());
  EXPECT_EQ(log->read(12, 1 << 20, true, 16).records.bytes.size(), st::make_batch(4, 20, 0).size());
}

TEST_F(PartitionLogTest, MinOneBatchReturnsABatchLargerThanMaxBytes) {
  auto log = open();
  auto big = st::make_batch(1, 10000, 0);
  auto small = st::make_batch(1, 10, 0);
  log->append(big, 0, 0);
  log->append(small, 0, 0);
  auto with = log->read(0, 100, true, kNoLimit);
  EXPECT_EQ(bytes_of(with), big);
  EXPECT_EQ(with.next_offset, 1);
  auto without = log->read(0, 100, false, kNoLimit);
  EXPECT_TRUE(without.records.bytes.empty());
  EXPECT_EQ(without.next_offset, 0);
  EXPECT_EQ(bytes_of(log->read(1, 100, false, kNoLimit)), small);
}

TEST_F(PartitionLogTest, OffsetsOutsideTheLogAreOutOfRange) {
  auto log = open();
  auto batch = st::make_batch(3, 10, 0);
  log->append(batch, 0, 0);
  EXPECT_EQ(log->read(4, 100, true, kNoLimit).status, ReadStatus::kOffsetOutOfRange);
  EXPECT_EQ(log->read(-1, 100, true, kNoLimit).status, ReadStatus::kOffsetOutOfRange);
  auto at_end = log->read(3, 100, true, kNoLimit);
  EXPECT_EQ(at_end.status, ReadStatus::kOk);
  EXPECT_TRUE(at_end.records.bytes.empty());
  EXPECT_EQ(at_end.next_offset, 3);
}

TEST_F(PartitionLogTest, RollsWhenSegmentMsHasPassedSinceTheFirstTimestamp) {
  LogConfig config;
  config.segment_ms = 1000;
  auto log = open(config);
  auto b1 = st::make_batch(1, 10, 10'000);
  auto b2 = st::make_batch(1, 10, 10'900);
  auto b3 = st::make_batch(1, 10, 11'001);
  log->append(b1, 0, 0);
  log->append(b2, 0, 0);
  EXPECT_EQ(log->segment_count(), 1u);
  log->append(b3, 0, 0);
  EXPECT_EQ(log->segment_count(), 2u);
  EXPECT_TRUE(std::filesystem::exists(dir() / "00000000000000000002.log"));
}

TEST_F(PartitionLogTest, NewSegmentBytesApplyToTheNextRoll) {
  auto log = open();
  for (int i = 0; i < 4; ++i) {
    auto batch = st::make_batch(1, 100, 0);
    log->append(batch, 0, 0);
  }
  EXPECT_EQ(log->segment_count(), 1u);
  uint64_t size = log->size_bytes();
  LogConfig smaller;
  smaller.segment_bytes = size;
  log->set_config(smaller);
  auto batch = st::make_batch(1, 100, 0);
  log->append(batch, 0, 0);
  EXPECT_EQ(log->segment_count(), 2u);
  EXPECT_EQ(log->size_bytes(), size + batch.size());
}

TEST_F(PartitionLogTest, RollsWhenAnIndexIsFull) {
  LogConfig config;
  config.index_interval_bytes = 0;    // an entry for every batch after the first
  config.segment_index_bytes = 48;    // 6 offset entries, 4 time entries
  auto log = open(config);
  for (int i = 0; i < 20; ++i) {
    auto batch = st::make_batch(1, 10, 1000 + i);  // growing timestamps: a time entry per index entry
    log->append(batch, 0, 0);
  }
  EXPECT_EQ(log->segment_count(), 4u);  // 5 batches (first + 4 entries) per segment
  log->close();
  for (const auto& entry : std::filesystem::directory_iterator(dir())) {
    if (entry.path().extension() == ".timeindex") {
      EXPECT_LE(std::filesystem::file_size(entry.path()), 48u);
    }
  }
}

TEST_F(PartitionLogTest, IndexFilesUseKafkasFormat) {
  LogConfig config;
  config.segment_bytes = 8192;
  config.index_interval_bytes = 300;
  auto log = open(config);
  auto batches = append_random(*log, 60);
  log->close();

  for (const auto& entry : std::filesystem::directory_iterator(dir())) {
    auto base = parse_segment_file_name(entry.path().filename().string(), kLogFileSuffix);
    if (!base) continue;
    auto log_bytes = st::read_file(entry.path());
    auto index = st::read_file(dir() / segment_file_name(*base, kOffsetIndexFileSuffix));
    auto time_index = st::read_file(dir() / segment_file_name(*base, kTimeIndexFileSuffix));
    ASSERT_EQ(index.size() % 8, 0u);
    ASSERT_EQ(time_index.size() % 12, 0u);
    EXPECT_GT(index.size(), 0u);
    for (size_t i = 0; i < index.size(); i += 8) {
      int64_t offset = *base + static_cast<int32_t>(load_be32(&index[i]));
      uint32_t position = load_be32(&index[i + 4]);
      auto header = *protocol::parse_batch_header(std::span(log_bytes).subspan(position));
      EXPECT_EQ(header.last_offset(), offset);
    }
    int64_t max_timestamp = -1;
    for (const auto& h : st::headers_of(log_bytes)) max_timestamp = std::max(max_timestamp, h.max_timestamp);
    ASSERT_GE(time_index.size(), 12u);
    EXPECT_EQ(static_cast<int64_t>(load_be64(&time_index[time_index.size() - 12])), max_timestamp);
  }
}

TEST_F(PartitionLogTest, FollowerAppendsKeepOffsetsAndEpochs) {
  auto log = open();
  auto batch = st::make_batch(2, 10, 0);
  protocol::set_base_offset(batch, 0);
  protocol::set_partition_leader_epoch(batch, 3);
  auto result = log->append_as_follower(batch, 0);
  EXPECT_EQ(result.base_offset, 0);
  EXPECT_EQ(result.last_offset, 1);
  EXPECT_EQ(log->latest_epoch(), 3);
  EXPECT_THROW(log->append_as_follower(batch, 0), std::invalid_argument);  // below the log end
  protocol::set_base_offset(batch, 2);
  log->append_as_follower(batch, 0);
  EXPECT_EQ(log->log_end_offset(), 4);
}

TEST_F(PartitionLogTest, RejectsAnythingButOneWholeBatch) {
  auto log = open();
  auto batch = st::make_batch(2, 10, 0);
  std::vector<uint8_t> torn(batch.begin(), batch.end() - 1);
  EXPECT_THROW(log->append(torn, 0, 0), std::invalid_argument);
  EXPECT_EQ(log->log_end_offset(), 0);
}

TEST_F(PartitionLogTest, TruncateToRemovesLaterBatchesAndAppendsContinue) {
  LogConfig config;
  config.segment_bytes = 1024;
  auto log = open(config);
  auto batches = append_random(*log, 60);
  size_t segments = log->segment_count();
  auto cut = *protocol::parse_batch_header(batches[30]);
  log->truncate_to(cut.base_offset);
  EXPECT_EQ(log->log_end_offset(), cut.base_offset);
  EXPECT_LT(log->segment_count(), segments);
  EXPECT_EQ(bytes_of(log->read(0, 1 << 20, false, kNoLimit)), st::concat(batches, 0, 30));

  auto next = st::make_batch(1, 10, 0);
  EXPECT_EQ(log->append(next, 1, 0).base_offset, cut.base_offset);

  log->truncate_to(0);
  EXPECT_EQ(log->log_end_offset(), 0);
  EXPECT_EQ(log->segment_count(), 1u);
  EXPECT_TRUE(log->read(0, 100, true, kNoLimit).records.bytes.empty());
}

TEST_F(PartitionLogTest, WritesPartitionMetadataAndRejectsAnotherTopicId) {
  open()->close();
  EXPECT_EQ(st::read_text(dir() / "partition.metadata"), "version: 0\ntopic_id: " + kTopicId.to_base64() + "\n");
  EXPECT_EQ(read_partition_metadata(dir()), kTopicId);
  EXPECT_THROW(PartitionLog::open(dir(), {}, protocol::Uuid{1, 1}, {}), StorageError);
  auto adopted = PartitionLog::open(dir(), {}, protocol::Uuid{}, {});
  EXPECT_EQ(adopted->topic_id(), kTopicId);
}

TEST_F(PartitionLogTest, SegmentFileNamesHaveTwentyDigits) {
  EXPECT_EQ(segment_file_name(42, kLogFileSuffix), "00000000000000000042.log");
  EXPECT_EQ(parse_segment_file_name("00000000000000000042.timeindex", kTimeIndexFileSuffix), 42);
  EXPECT_FALSE(parse_segment_file_name("0000000000000000042.log", kLogFileSuffix));
  EXPECT_FALSE(parse_segment_file_name("0000000000000000004x.log", kLogFileSuffix));
  EXPECT_FALSE(parse_segment_file_name("00000000000000000042.index", kLogFileSuffix));
}

}  // namespace
}  // namespace freshet::storage

namespace freshet::storage {
namespace {

namespace file_slice_test {
std::vector<uint8_t> bytes_of_slice(const ReadResult& read) {
  if (!read.records.file) return {};
  std::vector<uint8_t> out(read.records.file->size_bytes);
  EXPECT_EQ(::pread(read.records.file->fd, out.data(), out.size(), static_cast<off_t>(read.records.file->position)),
            static_cast<ssize_t>(out.size()));
  return out;
}
}  // namespace file_slice_test

// A file slice covers what read() returns from the first segment it touches.
TEST_F(PartitionLogTest, FileSliceIsTheFirstSegmentOfARead) {
  LogConfig config;
  config.segment_bytes = 4096;
  config.index_interval_bytes = 512;
  auto log = open(config);
  append_random(*log, 200);
  for (int64_t offset = 0; offset < log->log_end_offset(); offset += 7) {
    for (int32_t max_bytes : {1, 300, 2000, 5000, 1 << 20}) {
      for (int64_t max_offset : {offset + 3, offset + 40, kNoLimit}) {
        auto read = log->read(offset, max_bytes, true, max_offset);
        auto slice = log->read_file_slice(offset, max_bytes, true, max_offset);
        auto sliced = file_slice_test::bytes_of_slice(slice);
        auto whole = bytes_of(read);
        ASSERT_EQ(sliced.empty(), whole.empty()) << offset << " " << max_bytes << " " << max_offset;
        ASSERT_LE(sliced.size(), whole.size());
        ASSERT_TRUE(std::equal(sliced.begin(), sliced.end(), whole.begin())) << offset << " " << max_bytes;
        auto headers = st::headers_of(sliced);
        size_t total = 0;
        for (const auto& h : headers) total += h.total_size();
        ASSERT_EQ(total, sliced.size()) << "whole batches only";
        if (sliced.size() == whole.size()) {
          EXPECT_EQ(slice.next_offset, read.next_offset);
        }
      }
    }
  }
}

}  // namespace
}  // namespace freshet::storage
