// Offset and timestamp lookups (sparse indexes + scans) against brute force.
#include <gtest/gtest.h>

#include <random>

#include "storage/offset_index.h"
#include "storage/partition_log.h"
#include "storage/time_index.h"
#include "storage_test_batches.h"

namespace freshet::storage {
namespace {

namespace st = freshet::storage::testing;

struct StoredRecord {
  int64_t offset;
  int64_t timestamp;
};

// Appends batches of 1-4 records with jittery (not monotonic) timestamps,
// every few batches gzip-compressed; returns every record in offset order.
std::vector<StoredRecord> append_jittery(PartitionLog& log, int batches, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<StoredRecord> records;
  for (int i = 0; i < batches; ++i) {
    std::vector<int64_t> timestamps;
    int count = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < count; ++k) timestamps.push_back(10'000 + i * 10 + static_cast<int64_t>(rng() % 200) - 100);
    protocol::RecordBatchOptions options;
    if (i % 3 == 0) options.compression = protocol::Compression::Gzip;
    protocol::RecordBatchBuilder builder(options);
    std::vector<uint8_t> value(20 + rng() % 100, 'x');
    for (int64_t ts : timestamps) builder.append(ts, std::nullopt, std::span<const uint8_t>(value));
    auto batch = builder.build();
    auto result = log.append(batch, 0, 0);
    for (int k = 0; k < count; ++k) records.push_back({result.base_offset + k, timestamps[k]});
  }
  return records;
}

std::optional<StoredRecord> first_at_or_after(const std::vector<StoredRecord>& records, int64_t timestamp) {
  for (const auto& r : records)
    if (r.timestamp >= timestamp) return r;
  return std::nullopt;
}

void expect_lookups_match(PartitionLog& log, const std::vector<StoredRecord>& records) {
  for (int64_t target = 9'800; target <= 12'200; target += 7) {
    auto expected = first_at_or_after(records, target);
    auto found = log.offset_for_timestamp(target);
    ASSERT_EQ(found.has_value(), expected.has_value()) << target;
    if (!expected) continue;
    EXPECT_EQ(found->offset, expected->offset) << target;
    EXPECT_EQ(found->timestamp, expected->timestamp) << target;
    EXPECT_EQ(found->leader_epoch, 0);
  }
  StoredRecord max = records.front();
  for (const auto& r : records)
    if (r.timestamp > max.timestamp) max = r;
  auto found_max = log.max_timestamp_offset();
  ASSERT_TRUE(found_max);
  EXPECT_EQ(found_max->offset, max.offset);
  EXPECT_EQ(found_max->timestamp, max.timestamp);
}

TEST(StorageLookupTest, TimestampLookupsMatchBruteForce) {
  st::TempDir tmp;
  LogConfig config;
  config.segment_bytes = 4096;
  config.index_interval_bytes = 200;
  auto dir = tmp.path() / "t-0";
  auto log = PartitionLog::open(dir, config, {}, {});
  auto records = append_jittery(*log, 250, 11);
  ASSERT_GT(log->segment_count(), 5u);
  expect_lookups_match(*log, records);

  // After a clean reopen (indexes read from disk, lazily) ...
  log->close();
  log = PartitionLog::open(dir, config, {}, {.clean_shutdown = true});
  expect_lookups_match(*log, records);
  // ... and after recovery (indexes rebuilt from the logs).
  log.reset();
  log = PartitionLog::open(dir, config, {}, {.clean_shutdown = false});
  expect_lookups_match(*log, records);
}

TEST(StorageLookupTest, EmptyLogHasNoTimestamps) {
  st::TempDir tmp;
  auto log = PartitionLog::open(tmp.path() / "t-0", {}, {}, {});
  EXPECT_FALSE(log->offset_for_timestamp(0));
  EXPECT_FALSE(log->max_timestamp_offset());
}

TEST(StorageLookupTest, LogAppendTimeBatchesReportTheirAppendTime) {
  st::TempDir tmp;
  auto log = PartitionLog::open(tmp.path() / "t-0", {}, {}, {});
  auto batch = st::make_batch(3, 10, 100);
  protocol::set_log_append_time(batch, 5'000);
  log->append(batch, 0, 0);
  auto found = log->offset_for_timestamp(200);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->offset, 0);
  EXPECT_EQ(found->timestamp, 5'000);
  EXPECT_FALSE(log->offset_for_timestamp(5'001));
}

TEST(StorageLookupTest, OffsetIndexLookupMatchesBruteForce) {
  st::TempDir tmp;
  std::mt19937 rng(3);
  OffsetIndex index(tmp.path() / "x.index", 1000, 1 << 20);
  std::vector<OffsetIndexEntry> entries;
  int64_t offset = 1000;
  uint32_t position = 0;
  for (int i = 0; i < 500; ++i) {
    offset += 1 + rng() % 10;
    position += 1 + rng() % 5000;
    index.append(offset, position);
    entries.push_back({offset, position});
  }
  for (int64_t target = 990; target < offset + 10; ++target) {
    OffsetIndexEntry expected{1000, 0};
    for (const auto& e : entries)
      if (e.offset <= target) expected = e;
    auto found = index.lookup(target);
    ASSERT_EQ(found.offset, expected.offset) << target;
    ASSERT_EQ(found.position, expected.position) << target;
  }
  index.file().persist();
  OffsetIndex reloaded(tmp.path() / "x.index", 1000, 1 << 20);
  ASSERT_TRUE(reloaded.load(position + 1));
  EXPECT_EQ(reloaded.entries(), entries.size());
  EXPECT_FALSE(reloaded.load(position));  // a position past the log: inconsistent
}

TEST(StorageLookupTest, TimeIndexKeepsOnlyGrowingTimestamps) {
  st::TempDir tmp;
  TimeIndex index(tmp.path() / "x.timeindex", 100, 1 << 20);
  index.maybe_append(50, 105);
  index.maybe_append(50, 110);  // not above the last: ignored
  index.maybe_append(40, 111);  // ditto
  index.maybe_append(70, 120);
  ASSERT_EQ(index.entries(), 2u);
  EXPECT_EQ(index.lookup(10).offset, 100);  // below every entry: the base
  EXPECT_EQ(index.lookup(10).timestamp, -1);
  EXPECT_EQ(index.lookup(60).offset, 105);
  EXPECT_EQ(index.lookup(70).offset, 120);
  index.truncate_to(120);
  EXPECT_EQ(index.entries(), 1u);
  EXPECT_EQ(index.last()->timestamp, 50);
}

}  // namespace
}  // namespace freshet::storage
