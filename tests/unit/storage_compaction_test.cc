// Compaction's pieces: the bounded key -> latest offset map and the rules by
// which a batch keeps, loses or rewrites its records.
#include <gtest/gtest.h>

#include <string>

#include "protocol/record_batch_builder.h"
#include "protocol/record_scanner.h"
#include "storage/compaction_filter.h"
#include "storage/offset_map.h"

namespace freshet::storage {
namespace {

std::span<const uint8_t> bytes(const std::string& text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

TEST(OffsetMap, KeepsEachKeysLatestOffset) {
  OffsetMap map(1 << 16);
  EXPECT_EQ(map.get(bytes("a")), -1);
  EXPECT_EQ(map.latest_offset(), -1);
  ASSERT_TRUE(map.put(bytes("a"), 0));
  ASSERT_TRUE(map.put(bytes("b"), 1));
  ASSERT_TRUE(map.put(bytes("a"), 7));
  EXPECT_EQ(map.get(bytes("a")), 7);
  EXPECT_EQ(map.get(bytes("b")), 1);
  EXPECT_EQ(map.get(bytes("")), -1);
  EXPECT_EQ(map.size(), 2u);
  EXPECT_EQ(map.latest_offset(), 7);
  map.clear();
  EXPECT_EQ(map.size(), 0u);
  EXPECT_EQ(map.get(bytes("a")), -1);
}

TEST(OffsetMap, ItsMemoryBoundsTheKeysAndAFullMapStillUpdatesKnownOnes) {
  OffsetMap map(100 * OffsetMap::kSlotBytes, 0.9);
  EXPECT_EQ(map.capacity(), 90u);
  int64_t offset = 0;
  for (int i = 0; i < 90; ++i) ASSERT_TRUE(map.put(bytes("key-" + std::to_string(i)), offset++));
  EXPECT_TRUE(map.full());
  EXPECT_FALSE(map.put(bytes("one-too-many"), offset));
  EXPECT_EQ(map.get(bytes("one-too-many")), -1);
  EXPECT_TRUE(map.put(bytes("key-3"), offset));
  EXPECT_EQ(map.get(bytes("key-3")), offset);
  for (int i = 0; i < 90; ++i) {
    if (i != 3) EXPECT_EQ(map.get(bytes("key-" + std::to_string(i))), i) << i;
  }
}

TEST(OffsetMap, ManyKeysNeverAnswerForEachOther) {
  OffsetMap map(size_t{1} << 20);
  const int keys = static_cast<int>(map.capacity());
  for (int i = 0; i < keys; ++i) ASSERT_TRUE(map.put(bytes(std::to_string(i)), i));
  for (int i = 0; i < keys; ++i) ASSERT_EQ(map.get(bytes(std::to_string(i))), i);
  for (int i = keys; i < keys + 1000; ++i) ASSERT_EQ(map.get(bytes(std::to_string(i))), -1);
}

struct TestRecord {
  std::optional<std::string> key;
  std::optional<std::string> value;
  int32_t offset_delta;
  int64_t timestamp_ms;
};

// A stored batch at `base_offset` holding `records`.
std::vector<uint8_t> batch_of(const std::vector<TestRecord>& records, protocol::RecordBatchOptions options = {}) {
  protocol::RecordBatchBuilder builder(options);
  for (const auto& r : records) {
    protocol::BytesView key, value;
    if (r.key) key = bytes(*r.key);
    if (r.value) value = bytes(*r.value);
    builder.append_at(r.offset_delta, r.timestamp_ms, key, value);
  }
  return builder.build();
}

// (offset, key, value, timestamp) of every record of `batch`.
std::vector<TestRecord> records_of(std::span<const uint8_t> batch) {
  auto header = *protocol::parse_batch_header(batch);
  std::vector<TestRecord> out;
  protocol::RecordScanner scanner(batch, header, {});
  while (auto r = scanner.next()) {
    TestRecord t;
    if (r->key) t.key = std::string(r->key->begin(), r->key->end());
    if (r->value) t.value = std::string(r->value->begin(), r->value->end());
    t.offset_delta = r->offset_delta;
    t.timestamp_ms = header.log_append_time() ? header.max_timestamp : header.base_timestamp + r->timestamp_delta;
    out.push_back(t);
  }
  return out;
}

class CompactBatchTest : public ::testing::Test {
 protected:
  CompactedBatch compact(std::span<const uint8_t> batch, bool aborted = false, bool keep_if_empty = false) {
    CompactionContext context{&map_, now_ms_, kDeleteRetentionMs, {}};
    return compact_batch(batch, *protocol::parse_batch_header(batch), context, aborted, keep_if_empty);
  }
  static constexpr int64_t kDeleteRetentionMs = 86400000;
  OffsetMap map_{1 << 16};
  int64_t now_ms_ = 5'000'000;
};

TEST_F(CompactBatchTest, SupersededRecordsGoAndOffsetsStay) {
  protocol::RecordBatchOptions options;
  options.base_offset = 100;
  options.producer_id = 42;
  options.producer_epoch = 3;
  options.base_sequence = 10;
  options.partition_leader_epoch = 7;
  auto batch = batch_of({{"a", "a1", 0, 1000}, {"b", "b1", 1, 1001}, {"a", "a2", 2, 1002}, {"c", "c1", 3, 1003}},
                        options);
  map_.put(bytes("b"), 101);
  map_.put(bytes("a"), 102);
  map_.put(bytes("c"), 250);  // a later batch has c
  auto out = compact(batch);
  ASSERT_EQ(out.fate, CompactedBatch::Fate::kRewrite);
  EXPECT_EQ(out.records_kept, 2);
  ASSERT_TRUE(protocol::batch_crc_valid(out.bytes));
  auto header = *protocol::parse_batch_header(out.bytes);
  EXPECT_EQ(header.base_offset, 100);
  EXPECT_EQ(header.last_offset_delta, 3);  // the original last offset, for the producer's sequence
  EXPECT_EQ(header.records_count, 2);
  EXPECT_EQ(header.producer_id, 42);
  EXPECT_EQ(header.producer_epoch, 3);
  EXPECT_EQ(header.base_sequence, 10);
  EXPECT_EQ(header.partition_leader_epoch, 7);
  auto kept = records_of(out.bytes);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].offset_delta, 1);
  EXPECT_EQ(kept[0].value, "b1");
  EXPECT_EQ(kept[0].timestamp_ms, 1001);
  EXPECT_EQ(kept[1].offset_delta, 2);
  EXPECT_EQ(kept[1].value, "a2");
  EXPECT_EQ(kept[1].timestamp_ms, 1002);
}

TEST_F(CompactBatchTest, ABatchOfLatestRecordsIsKeptAsIs) {
  auto batch = batch_of({{"a", "1", 0, 10}, {"b", "2", 1, 11}});
  map_.put(bytes("a"), 0);
  map_.put(bytes("b"), 1);
  EXPECT_EQ(compact(batch).fate, CompactedBatch::Fate::kKeep);
  // Records after what the map covers are kept whatever their keys.
  OffsetMap empty(1024);
  CompactionContext context{&empty, now_ms_, kDeleteRetentionMs, {}};
  EXPECT_EQ(compact_batch(batch, *protocol::parse_batch_header(batch), context, false, false).fate,
            CompactedBatch::Fate::kKeep);
}

TEST_F(CompactBatchTest, RecordsWithoutKeysAndAbortedBatchesGo) {
  auto batch = batch_of({{std::nullopt, "x", 0, 10}, {"a", "1", 1, 11}});
  map_.put(bytes("a"), 1);
  auto out = compact(batch);
  ASSERT_EQ(out.fate, CompactedBatch::Fate::kRewrite);
  EXPECT_EQ(records_of(out.bytes).size(), 1u);
  EXPECT_EQ(compact(batch, /*aborted=*/true).fate, CompactedBatch::Fate::kDrop);
}

TEST_F(CompactBatchTest, ATombstoneStaysUntilDeleteRetentionMsAfterItsFirstCleaning) {
  auto batch = batch_of({{"a", std::nullopt, 0, 1000}, {"b", "live", 1, 1001}});
  map_.put(bytes("a"), 0);
  map_.put(bytes("b"), 1);
  auto first = compact(batch);
  ASSERT_EQ(first.fate, CompactedBatch::Fate::kRewrite);  // kept, and marked with its horizon
  auto header = *protocol::parse_batch_header(first.bytes);
  ASSERT_TRUE(header.has_delete_horizon());
  EXPECT_EQ(header.base_timestamp, now_ms_ + kDeleteRetentionMs);
  auto kept = records_of(first.bytes);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_FALSE(kept[0].value.has_value());
  EXPECT_EQ(kept[0].timestamp_ms, 1000);  // record timestamps survive the horizon
  EXPECT_EQ(kept[1].timestamp_ms, 1001);

  EXPECT_EQ(compact(first.bytes).fate, CompactedBatch::Fate::kKeep);  // before the horizon
  now_ms_ += kDeleteRetentionMs;
  auto later = compact(first.bytes);
  ASSERT_EQ(later.fate, CompactedBatch::Fate::kRewrite);
  kept = records_of(later.bytes);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].value, "live");
  EXPECT_EQ(kept[0].timestamp_ms, 1001);
}

TEST_F(CompactBatchTest, AnEmptiedBatchOfAProducersLastWriteKeepsItsHeader) {
  protocol::RecordBatchOptions options;
  options.base_offset = 5;
  options.producer_id = 9;
  options.base_sequence = 20;
  auto batch = batch_of({{"a", "old", 0, 10}, {"a", "older", 1, 11}}, options);
  map_.put(bytes("a"), 30);
  EXPECT_EQ(compact(batch).fate, CompactedBatch::Fate::kDrop);
  auto out = compact(batch, false, /*keep_if_empty=*/true);
  ASSERT_EQ(out.fate, CompactedBatch::Fate::kRewrite);
  EXPECT_EQ(out.records_kept, 0);
  auto header = *protocol::parse_batch_header(out.bytes);
  EXPECT_EQ(header.records_count, 0);
  EXPECT_EQ(header.base_offset, 5);
  EXPECT_EQ(header.last_offset(), 6);
  EXPECT_EQ(header.producer_id, 9);
  EXPECT_EQ(header.base_sequence, 20);
  EXPECT_TRUE(protocol::batch_crc_valid(out.bytes));
}

TEST_F(CompactBatchTest, RewrittenBatchesKeepTheirCodecAndTimestampType) {
  protocol::RecordBatchOptions options;
  options.compression = protocol::Compression::Zstd;
  options.log_append_time = true;
  auto batch = batch_of({{"a", "1", 0, 777}, {"a", "2", 1, 777}}, options);
  map_.put(bytes("a"), 1);
  auto out = compact(batch);
  ASSERT_EQ(out.fate, CompactedBatch::Fate::kRewrite);
  auto header = *protocol::parse_batch_header(out.bytes);
  EXPECT_EQ(header.compression(), protocol::Compression::Zstd);
  EXPECT_TRUE(header.log_append_time());
  EXPECT_EQ(header.max_timestamp, 777);
  auto kept = records_of(out.bytes);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].value, "2");
}

}  // namespace
}  // namespace freshet::storage
