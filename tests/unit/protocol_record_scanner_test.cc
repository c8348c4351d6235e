#include "protocol/record_scanner.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/batch_records.h"
#include "protocol/record_batch.h"
#include "protocol/record_batch_builder.h"
#include "protocol_test_support.h"

namespace freshet::protocol {
namespace {

using namespace test_support;


std::vector<uint8_t> batch_of(Compression codec, int records, size_t value_bytes) {
  RecordBatchOptions options;
  options.compression = codec;
  RecordBatchBuilder builder(options);
  for (int i = 0; i < records; ++i) {
    const std::string key = "key-" + std::to_string(i);
    const std::vector<uint8_t> value(value_bytes, static_cast<uint8_t>('a' + i % 26));
    const std::vector<RecordHeader> headers = {{"h", std::vector<uint8_t>{1, 2}}};
    builder.append(1700000000000 + i, BytesView(std::span(reinterpret_cast<const uint8_t*>(key.data()), key.size())),
                   BytesView(value), headers);
  }
  return builder.build();
}


class RecordScannerTest : public ::testing::TestWithParam<Compression> {};
INSTANTIATE_TEST_SUITE_P(All, RecordScannerTest, ::testing::ValuesIn(kCodecs),
                         [](const auto& info) { return std::string(compression_name(info.param)); });

TEST_P(RecordScannerTest, SeesWhatDecodeRecordsSees) {
  // 3000 records of ~300 bytes: several 64 KiB chunks, records across chunk ends.
  const std::vector<uint8_t> batch = batch_of(GetParam(), 3000, 300);
  const std::vector<Record> expected = decode_records(batch, 16 << 20);
  RecordScanner scanner(batch, header_of(batch), {});
  for (const Record& want : expected) {
    const std::optional<RecordView> got = scanner.next();
    ASSERT_TRUE(got);
    EXPECT_EQ(got->offset_delta, want.offset_delta);
    EXPECT_EQ(got->timestamp_delta, want.timestamp_delta);
    ASSERT_TRUE(got->key && got->value);
    EXPECT_EQ(std::vector<uint8_t>(got->key->begin(), got->key->end()), *want.key);
    EXPECT_EQ(std::vector<uint8_t>(got->value->begin(), got->value->end()), *want.value);
    EXPECT_EQ(got->header_count, 1);
  }
  EXPECT_TRUE(scanner.at_end());
  EXPECT_FALSE(scanner.next());
}

TEST_P(RecordScannerTest, RefusesARecordAboveTheRecordLimit) {
  const std::vector<uint8_t> batch = batch_of(GetParam(), 3, 5000);
  RecordScanner scanner(batch, header_of(batch), {.max_uncompressed_bytes = SIZE_MAX, .max_record_bytes = 4000});
  EXPECT_THROW(scanner.next(), DecodeError);
}

TEST_P(RecordScannerTest, RefusesRecordsAboveTheTotalLimit) {
  const std::vector<uint8_t> batch = batch_of(GetParam(), 100, 1000);
  EXPECT_THROW(
      {
        RecordScanner scanner(batch, header_of(batch), {.max_uncompressed_bytes = 50000, .max_record_bytes = SIZE_MAX});
        while (scanner.next()) {
        }
      },
      DecodeError);
}

TEST(RecordScanner, ReportsARecordCutShortByTheEndOfTheRecords) {
  for (Compression codec : kCodecs) {
    const std::vector<uint8_t> whole = batch_of(Compression::None, 2, 100);
    RecordBatchHeader header = header_of(whole);
    header.attributes = static_cast<int16_t>(codec);
    // The records minus their last byte, compressed with `codec`.
    const std::span<const uint8_t> records = std::span(whole).subspan(kRecordBatchHeaderSize);
    const std::vector<uint8_t> batch = encode_batch(header, records.first(records.size() - 1));
    RecordScanner scanner(batch, header_of(batch), {});
    ASSERT_TRUE(scanner.next()) << compression_name(codec);
    EXPECT_THROW(scanner.next(), DecodeError) << compression_name(codec);
  }
}

}  // namespace
}  // namespace freshet::protocol
