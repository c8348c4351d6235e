// Message formats v0/v1: down-conversion of v2 batches (each codec, control
// batches, offsets, timestamps, zstd), up-conversion back, and the checks
// that refuse bad message sets (CRC, nesting, mixed formats).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/batch_records.h"
#include "protocol/control_record.h"
#include "protocol/legacy_messages.h"
#include "protocol/record_batch.h"
#include "protocol/record_batch_builder.h"

namespace freshet::protocol::legacy_test {
namespace {

std::span<const uint8_t> view(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

// A v2 batch at `base_offset` of `count` records "k<i>" = "v<i>", timestamps 1000 + i.
std::vector<uint8_t> batch(Compression codec, int64_t base_offset, int count, bool log_append_time = false) {
  RecordBatchOptions options;
  options.compression = codec;
  options.base_offset = base_offset;
  options.log_append_time = log_append_time;
  RecordBatchBuilder builder(options);
  for (int i = 0; i < count; ++i) {
    const std::string key = "k" + std::to_string(i), value = "v" + std::to_string(i);
    builder.append(1000 + i, view(key), view(value));
  }
  return builder.build();
}

struct Message {
  int64_t offset;
  int8_t magic;
  int8_t attributes;
  std::vector<uint8_t> value;
};

// The top-level entries of a message set (wrappers not unpacked).
std::vector<Message> entries(std::span<const uint8_t> set) {
  std::vector<Message> out;
  Reader r(set);
  while (r.remaining() > 0) {
    Message m;
    m.offset = r.i64();
    Reader body(r.raw(static_cast<size_t>(r.i32())));
    body.u32();
    m.magic = body.i8();
    m.attributes = body.i8();
    if (m.magic == 1) body.i64();
    body.nullable_bytes();
    m.value = body.nullable_bytes().value_or(std::vector<uint8_t>{});
    out.push_back(std::move(m));
  }
  return out;
}

class RoundTrip : public ::testing::TestWithParam<std::tuple<Compression, int8_t>> {};

TEST_P(RoundTrip, DownThenUpKeepsKeysValuesAndV1Timestamps) {
  const auto [codec, magic] = GetParam();
  auto original = batch(codec, 40, 5);
  auto old = downconvert_batches(original, magic, 0, 1 << 20);
  ASSERT_TRUE(old);
  ASSERT_TRUE(is_legacy_message_set(*old));
  auto top = entries(*old);
  if (codec == Compression::None) {
    ASSERT_EQ(top.size(), 5u);
    for (size_t i = 0; i < top.size(); ++i) EXPECT_EQ(top[i].offset, 40 + static_cast<int64_t>(i));
  } else {
    ASSERT_EQ(top.size(), 1u);
    EXPECT_EQ(top[0].offset, 44);  // a wrapper carries its last inner offset
    EXPECT_EQ(top[0].attributes & 0x07, static_cast<int8_t>(codec));
  }
  auto back = upconvert_message_set(*old, 1 << 20);
  const RecordBatchHeader header = *parse_batch_header(back);
  EXPECT_TRUE(batch_crc_valid(back));
  EXPECT_EQ(header.compression(), codec);
  auto records = decode_records(back, 1 << 20);
  ASSERT_EQ(records.size(), 5u);
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(std::string(records[i].key->begin(), records[i].key->end()), "k" + std::to_string(i));
    EXPECT_EQ(std::string(records[i].value->begin(), records[i].value->end()), "v" + std::to_string(i));
    EXPECT_EQ(header.base_timestamp + records[i].timestamp_delta, magic == 1 ? 1000 + static_cast<int64_t>(i) : -1);
  }
}

INSTANTIATE_TEST_SUITE_P(EveryCodecAndFormat, RoundTrip,
                         ::testing::Combine(::testing::Values(Compression::None, Compression::Gzip,
                                                              Compression::Snappy, Compression::Lz4),
                                            ::testing::Values(int8_t{0}, int8_t{1})));

TEST(LegacyMessages, CompressedV1InnerOffsetsAreRelative) {
  auto old = downconvert_batches(batch(Compression::Gzip, 100, 3), 1, 0, 1 << 20);
  ASSERT_TRUE(old);
  auto wrapper = entries(*old);
  ASSERT_EQ(wrapper.size(), 1u);
  auto inner = entries(decompress(Compression::Gzip, wrapper[0].value, 1 << 20));
  ASSERT_EQ(inner.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(inner[i].offset, i);
  // Magic 0 keeps absolute inner offsets.
  old = downconvert_batches(batch(Compression::Gzip, 100, 3), 0, 0, 1 << 20);
  inner = entries(decompress(Compression::Gzip, entries(*old)[0].value, 1 << 20));
  EXPECT_EQ(inner[2].offset, 102);
}

TEST(LegacyMessages, ControlBatchesAndOffsetsBeforeTheFetchAreLeftOut) {
  std::vector<uint8_t> set = batch(Compression::None, 0, 4);
  auto marker = build_end_txn_marker_batch({ControlRecordType::kCommit, 0}, 7, 0, 5000, 4);
  set.insert(set.end(), marker.begin(), marker.end());
  auto more = batch(Compression::None, 5, 2);
  set.insert(set.end(), more.begin(), more.end());
  auto old = downconvert_batches(set, 1, 2, 1 << 20);
  ASSERT_TRUE(old);
  std::vector<int64_t> offsets;
  for (const auto& m : entries(*old)) offsets.push_back(m.offset);
  EXPECT_EQ(offsets, (std::vector<int64_t>{2, 3, 5, 6}));
}

TEST(LegacyMessages, LogAppendTimeIsCarriedInV1) {
  auto v2 = batch(Compression::None, 0, 2, /*log_append_time=*/true);
  auto old = downconvert_batches(v2, 1, 0, 1 << 20);
  for (const auto& m : entries(*old)) EXPECT_EQ(m.attributes & 0x08, 0x08);
}

TEST(LegacyMessages, ZstdCannotBeDownConverted) {
  EXPECT_FALSE(downconvert_batches(batch(Compression::Zstd, 0, 2), 1, 0, 1 << 20));
}

TEST(LegacyMessages, BadMessageSetsAreRefused) {
  auto good = *downconvert_batches(batch(Compression::None, 0, 2), 1, 0, 1 << 20);
  auto corrupt = good;
  corrupt.back() ^= 0x01;
  EXPECT_THROW(upconvert_message_set(corrupt, 1 << 20), DecodeError);
  auto truncated = std::vector<uint8_t>(good.begin(), good.end() - 3);
  EXPECT_THROW(upconvert_message_set(truncated, 1 << 20), DecodeError);
  // Magic 0 followed by magic 1 in one set.
  auto mixed = *downconvert_batches(batch(Compression::None, 0, 1), 0, 0, 1 << 20);
  auto v1 = *downconvert_batches(batch(Compression::None, 1, 1), 1, 0, 1 << 20);
  mixed.insert(mixed.end(), v1.begin(), v1.end());
  EXPECT_THROW(upconvert_message_set(mixed, 1 << 20), DecodeError);
  // Larger than the cap once decompressed.
  auto big = *downconvert_batches(batch(Compression::Gzip, 0, 200), 1, 0, 1 << 20);
  EXPECT_THROW(upconvert_message_set(big, 100), DecodeError);
}

}  // namespace
}  // namespace freshet::protocol::legacy_test
