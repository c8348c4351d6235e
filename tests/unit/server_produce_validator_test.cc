// The produce validator on hand-built batches whose CRCs are valid, so that
// every rule below is what refuses them, not the CRC check.
#include "server/produce_validator.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <chrono>
#include <string>
#include <vector>

#include "protocol/record.h"
#include "protocol/record_batch.h"
#include "protocol/wire.h"
#include "protocol_test_support.h"

namespace freshet::server {
namespace {

using namespace protocol::test_support;

using protocol::Compression;
using protocol::ErrorCode;
using Bytes = std::vector<uint8_t>;

constexpr int64_t kNowMs = 1'700'000'000'000;
constexpr std::string_view kPartition = "events-0";

Bytes text(std::string_view s) { return {s.begin(), s.end()}; }

void append(Bytes& to, const Bytes& more) { to.insert(to.end(), more.begin(), more.end()); }

Bytes concat(Bytes a, const Bytes& b) {
  append(a, b);
  return a;
}

// One well-formed record's bytes, length prefix included.
Bytes record(int32_t offset_delta, int64_t timestamp_delta = 0, protocol::BytesView key = protocol::BytesView(),
             protocol::BytesView value = protocol::BytesView()) {
  protocol::Writer out;
  protocol::write_record(out, timestamp_delta, offset_delta, key, value, {});
  return out.take();
}

Bytes keyed_record(int32_t offset_delta, int64_t timestamp_delta = 0) {
  static const Bytes key = text("key"), value = text("value");
  return record(offset_delta, timestamp_delta, protocol::BytesView(key), protocol::BytesView(value));
}

// `n` keyed records at offset deltas 0..n-1 with timestamp deltas 0..n-1.
Bytes records(int n) {
  Bytes out;
  for (int i = 0; i < n; ++i) append(out, keyed_record(i, i));
  return out;
}

// A record from its body's bytes, the length varint saying `length`.
Bytes framed(int32_t length, const Bytes& body) {
  protocol::Writer out;
  out.varint(length);
  out.raw(body);
  return out.take();
}

protocol::RecordBatchHeader header(int32_t count, Compression codec = Compression::None) {
  protocol::RecordBatchHeader h;
  h.attributes = static_cast<int16_t>(codec);
  h.last_offset_delta = count - 1;
  h.records_count = count;
  h.base_timestamp = kNowMs;
  h.max_timestamp = kNowMs + count - 1;
  return h;
}

// A batch of `record_bytes` compressed by the header's codec, with a valid CRC.
Bytes batch(const protocol::RecordBatchHeader& h, const Bytes& record_bytes) {
  return protocol::encode_batch(h, record_bytes);
}

// A batch whose payload is `payload` as given, marked with `codec`.
Bytes batch_with_payload(protocol::RecordBatchHeader h, Compression codec, const Bytes& payload) {
  h.attributes = 0;
  Bytes out = protocol::encode_batch(h, payload);
  out[protocol::kBatchAttributesOffset + 1] = static_cast<uint8_t>(codec);
  const uint32_t crc = protocol::compute_batch_crc(out);
  for (int i = 0; i < 4; ++i) out[protocol::kBatchCrcOffset + i] = static_cast<uint8_t>(crc >> (24 - 8 * i));
  return out;
}

ValidatedBatches validate(const Bytes& record_set, const ProducePolicy& policy = {}, int16_t version = 9) {
  return validate_produce_records(protocol::Records{record_set, nullptr, std::nullopt}, version, policy, kPartition,
                                  kNowMs);
}

ProducePolicy compacted() {
  ProducePolicy p;
  p.compacted = true;
  return p;
}

ProducePolicy hour_window() {
  ProducePolicy p;
  p.timestamp_before_max_ms = p.timestamp_after_max_ms = 3'600'000;
  return p;
}

// ---- what is accepted ------------------------------------------------------

TEST(ProduceValidator, AcceptsGoodBatchesOfEveryCodecAsSent) {
  for (Compression codec : kCodecs) {
    const Bytes b = batch(header(50, codec), records(50));
    const ValidatedBatches v = validate(b, hour_window());
    ASSERT_EQ(v.error, ErrorCode::None) << protocol::compression_name(codec) << ": " << v.message;
    ASSERT_EQ(v.batches.size(), 1u);
    EXPECT_EQ(v.batches[0].data(), b.data()) << "stored as sent, not copied";
    EXPECT_TRUE(v.rewritten.empty());
  }
}

TEST(ProduceValidator, NullKeysAreFineOnATopicThatIsNotCompacted) {
  const Bytes b = batch(header(2), concat(record(0), record(1, 1)));
  EXPECT_EQ(validate(b).error, ErrorCode::None);
}

// ---- batch header ----------------------------------------------------------

TEST(ProduceValidator, CountMustMatchTheOffsetRange) {
  protocol::RecordBatchHeader h = header(3);
  h.last_offset_delta = 4;
  const ValidatedBatches v = validate(batch(h, records(3)));
  EXPECT_EQ(v.error, ErrorCode::InvalidRecord);
  EXPECT_EQ(v.message, "Inconsistent batch offset range [0, 4] and count of records 3 in topic partition events-0");
}

TEST(ProduceValidator, CountMustBePositive) {
  protocol::RecordBatchHeader h = header(1);
  h.records_count = 0;
  ValidatedBatches v = validate(batch(h, records(1)));
  EXPECT_EQ(v.error, ErrorCode::InvalidRecord);
  EXPECT_EQ(v.message, "Invalid reported count for record batch: 0 in topic partition events-0");

  h.last_offset_delta = -1;
  v = validate(batch(h, {}));
  EXPECT_EQ(v.error, ErrorCode::InvalidRecord);
  EXPECT_EQ(v.message, "Batch has an invalid offset range: [0, -1] in topic partition events-0");
}

TEST(ProduceValidator, ProducerIdNeedsASequence) {
  protocol::RecordBatchHeader h = header(1);
  h.producer_id = 42;
  h.producer_epoch = 0;
  const ValidatedBatches v = validate(batch(h, records(1)));
  EXPECT_EQ(v.error, ErrorCode::InvalidRecord);
  EXPECT_EQ(v.message, "Invalid sequence number -1 in record batch with producerId 42 in topic partition events-0");
}

TEST(ProduceValidator, ClientsCannotWriteControlBatches) {
  protocol::RecordBatchHeader h = header(1);
  h.attributes = protocol::kControlBit;
  const ValidatedBatches v = validate(batch(h, records(1)));
  EXPECT_EQ(v.error, ErrorCode::InvalidRecord);
  EXPECT_EQ(v.message, "Clients are not allowed to write control records in topic partition events-0");
}

// ---- record framing: INVALID_RECORD ---------------------------------------

TEST(ProduceValidator, FewerRecordsThanTheCountIsCorrupt) {
  for (Compression codec : kCodecs) {
    const ValidatedBatches v = validate(batch(header(3, codec), records(2)));
    EXPECT_EQ(v.error, ErrorCode::InvalidRecord) << protocol::compression_name(codec);
    EXPECT_EQ(v.message, "Record batch declares 3 records but holds 2 in topic partition events-0");
  }
}

TEST(ProduceValidator, BytesAfterTheLastRecordAreCorrupt) {
  for (Compression codec : kCodecs) {
    // More records than declared, or a stray byte.
    for (const Bytes& tail : {keyed_record(2, 2), Bytes{0}}) {
      const ValidatedBatches v = validate(batch(header(2, codec), concat(records(2), tail)));
      EXPECT_EQ(v.error, ErrorCode::InvalidRecord) << protocol::compression_name(codec);
      EXPECT_EQ(v.message, "Record batch has bytes after its 2 records in topic partition events-0");
      EXPECT_TRUE(v.record_errors.empty());
    }
  }
}

TEST(ProduceValidator, RecordLengthMustMatchItsFields) {
  const Bytes good = keyed_record(1, 1);
  const Bytes body(good.begin() + 1, good.end());  // the length fits one byte
  ASSERT_EQ(protocol::Reader(good).varint(), static_cast<int32_t>(body.size()));
  const int32_t n = static_cast<int32_t>(body.size());
  const Bytes cases[] = {
      framed(n - 1, body),                                  // too short: its fields run past its end
      concat(framed(n + 1, body), Bytes{0}),                // too long: a spare byte inside it
      framed(n + 5, body),                                  // too long: past the end of the batch
      framed(-3, body),                                     // negative
  };
  for (const Bytes& bad : cases) {
    for (Compression codec : kCodecs) {
      const ValidatedBatches v = validate(batch(header(2, codec), concat(keyed_record(0), bad)));
      EXPECT_EQ(v.error, ErrorCode::InvalidRecord) << protocol::compression_name(codec) << ": " << v.message;
      EXPECT_TRUE(v.message.starts_with("Corrupt record at batch index 1: ")) << v.message;
      ASSERT_EQ(v.record_errors.size(), 1u);
      EXPECT_EQ(v.record_errors[0].batch_index, 1);
    }
  }
}

TEST(ProduceValidator, MalformedVarintsAreCorrupt) {
  const Bytes six_byte_varint = {0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
  // attributes, `deltas` (timestamp delta, offset delta), null key and value, no headers
  const auto with_deltas = [](const Bytes& deltas) {
    const Bytes body = concat(concat(Bytes{0}, deltas), Bytes{0x01, 0x01, 0x00});
    return framed(static_cast<int32_t>(body.size()), body);
  };
  const Bytes cases[] = {
      concat(six_byte_varint, Bytes(10, 0)),                // the record's length
      with_deltas(concat(Bytes{0x00}, six_byte_varint)),    // its offset delta
      with_deltas(concat(Bytes(11, 0xff), Bytes{0x00})),    // a timestamp varlong over 10 bytes
  };
  for (const Bytes& bad : cases) {
    const ValidatedBatches v = validate(batch(header(1), bad));
    EXPECT_EQ(v.error, ErrorCode::InvalidRecord) << v.message;
  }
}

TEST(ProduceValidator, KeyValueAndHeaderLengthsAreChecked) {
  // attributes, timestamp delta, offset delta 0, then the fields.
  const auto bad_record = [](const Bytes& fields) {
    return framed(static_cast<int32_t>(3 + fields.size()), concat({0, 0, 0}, fields));
  };
  const Bytes cases[] = {
      bad_record({0x05}),                          // key length -3
      bad_record({0x0a, 'a'}),                     // key of 5 bytes, 1 left
      bad_record({0x01, 0x01, 0x02, 0x01}),        // null key and value, 1 header with a null key
      bad_record({0x01, 0x01, 0x03}),              // header count -2
      bad_record({0x01, 0x01, 0x7e}),              // 63 headers, no bytes for them
  };
  for (const Bytes& bad : cases) {
    const ValidatedBatches v = validate(batch(header(1), bad));
    EXPECT_EQ(v.error, ErrorCode::InvalidRecord) << v.message;
  }
  const ValidatedBatches null_header_key = validate(batch(header(1), cases[2]));
  EXPECT_EQ(null_header_key.record_errors, (std::vector<RecordError>{{0, "record header has a null key"}}));
}

TEST(ProduceValidator, GarbageUnderAValidCrcIsCorrupt) {
  const Bytes garbage = {0x13, 0x37, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66};
  for (Compression codec : kRealCodecs) {
    const Bytes compressed = protocol::compress(codec, records(5));
    const Bytes payloads[] = {garbage, Bytes(compressed.begin(), compressed.end() - 3)};  // junk, truncated
    for (const Bytes& payload : payloads) {
      const ValidatedBatches v = validate(batch_with_payload(header(5), codec, payload));
      EXPECT_EQ(v.error, ErrorCode::InvalidRecord) << protocol::compression_name(codec) << ": " << v.message;
      EXPECT_TRUE(v.batches.empty());
    }
  }
}

// zstd of 1 GiB of zeros behind one good record, claiming that one record:
// refused at the first byte after it, long before the gigabyte is decoded.
TEST(ProduceValidator, DecompressionBombIsRefusedFastWithBoundedMemory) {
  const Bytes zeros_mib(1 << 20, 0);
  const Bytes frame = protocol::compress(Compression::Zstd, zeros_mib);
  Bytes payload = protocol::compress(Compression::Zstd, keyed_record(0));
  for (int i = 0; i < 1024; ++i) append(payload, frame);
  ASSERT_LT(payload.size(), size_t{1} << 20) << "the bomb fits a request";

  rusage before{};
  getrusage(RUSAGE_SELF, &before);
  const auto start = std::chrono::steady_clock::now();
  const ValidatedBatches v = validate(batch_with_payload(header(1), Compression::Zstd, payload));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  rusage after{};
  getrusage(RUSAGE_SELF, &after);

  EXPECT_EQ(v.error, ErrorCode::InvalidRecord) << v.message;
  EXPECT_EQ(v.message, "Record batch has bytes after its 1 records in topic partition events-0");
  // Generous bounds for a shared machine: decoding the whole gigabyte would
  // take far longer and, materialised, 1 GiB.
  EXPECT_LT(elapsed, std::chrono::milliseconds(250));
  EXPECT_LT(after.ru_maxrss - before.ru_maxrss, 64 * 1024) << "KiB of peak RSS";
}

// A record whose length claims 1 GiB is refused when its length is read.
TEST(ProduceValidator, RecordAboveMaxMessageBytesIsRefusedAtItsLength) {
  protocol::Writer huge;
  huge.varint(1 << 30);
  const Bytes prefix = huge.take();
  Bytes payload = protocol::compress(Compression::Zstd, concat(prefix, Bytes(64 * 1024, 0)));
  const ValidatedBatches v = validate(batch_with_payload(header(1), Compression::Zstd, payload));
  EXPECT_EQ(v.error, ErrorCode::InvalidRecord);
  EXPECT_NE(v.message.find("exceeds the limit of 1048588 bytes"), std::string::npos) << v.message;
}

// Records past max_uncompressed_batch_bytes (here 64 KiB * 64 + 1 MiB) are
// refused once the stream passes it.
TEST(ProduceValidator, RecordsAboveTheUncompressedCapAreRefused) {
  ProducePolicy policy;
  policy.max_message_bytes = 64 * 1024;
  const Bytes value(1000, 0);
  Bytes many;
  const int n = 6000;  // ~6 MB uncompressed
  for (int i = 0; i < n; ++i) append(many, record(i, 0, protocol::BytesView(), protocol::BytesView(value)));
  const Bytes b = batch(header(n, Compression::Zstd), many);
  ASSERT_LE(b.size(), 64u * 1024);
  const ValidatedBatches v = validate(b, policy);
  EXPECT_EQ(v.error, ErrorCode::InvalidRecord);
  EXPECT_NE(v.message.find("decompressed data exceeds the limit of 5242880 bytes"), std::string::npos) << v.message;
}

// ---- record rules: INVALID_RECORD / INVALID_TIMESTAMP with record errors ----

TEST(ProduceValidator, OffsetDeltasMustBeZeroToCountMinusOne) {
  for (Compression codec : kCodecs) {
    const Bytes gap = concat(concat(keyed_record(0), keyed_record(2)), keyed_record(3));
    const ValidatedBatches v = validate(batch(header(3, codec), gap));
    EXPECT_EQ(v.error, ErrorCode::InvalidRecord) << protocol::compression_name(codec);
    ASSERT_EQ(v.record_errors.size(), 2u);
    EXPECT_EQ(v.record_errors[0].batch_index, 1);
    EXPECT_EQ(v.record_errors[0].message,
              "Record at batch index 1 has offset delta 2: the offset deltas of a batch's 3 records must be 0 to 2 in "
              "topic partition events-0");
    EXPECT_EQ(v.record_errors[1].batch_index, 2);
  }
}

TEST(ProduceValidator, CompactedTopicsNeedKeys) {
  for (Compression codec : kCodecs) {
    const Bytes one_unkeyed = concat(concat(keyed_record(0), record(1)), keyed_record(2));
    const ValidatedBatches v = validate(batch(header(3, codec), one_unkeyed), compacted());
    EXPECT_EQ(v.error, ErrorCode::InvalidRecord);
    const std::string why = "Compacted topic cannot accept message without key in topic partition events-0";
    EXPECT_EQ(v.record_errors, (std::vector<RecordError>{{1, why}}));
    EXPECT_EQ(v.message,
              "One or more records have been rejected due to 1 record errors in total, and only showing the first "
              "three errors at most: [RecordError(batchIndex=1, message='" + why + "')]");
  }
}

TEST(ProduceValidator, EveryRecordTimestampIsChecked) {
  // base and max timestamps are fine; record 1 is two hours old.
  protocol::RecordBatchHeader h = header(3);
  h.max_timestamp = kNowMs + 2;
  const Bytes b = batch(h, concat(concat(keyed_record(0, 0), keyed_record(1, -7'200'000)), keyed_record(2, 2)));
  const ValidatedBatches v = validate(b, hour_window());
  EXPECT_EQ(v.error, ErrorCode::InvalidTimestamp);
  EXPECT_EQ(v.message, "One or more records have been rejected due to invalid timestamp");
  ASSERT_EQ(v.record_errors.size(), 1u);
  EXPECT_EQ(v.record_errors[0].batch_index, 1);
  EXPECT_EQ(v.record_errors[0].message,
            "Timestamp 1699992800000 of message with offset 1 is out of range. The timestamp should be within "
            "[1699996400000, 1700003600000]");
  EXPECT_EQ(validate(b).error, ErrorCode::None) << "no bounds configured";
}

TEST(ProduceValidator, TimestampErrorsWinOverOtherRecordErrors) {
  const Bytes b = batch(header(2), concat(record(0), keyed_record(1, 10'000'000)));
  ProducePolicy policy = hour_window();
  policy.compacted = true;
  const ValidatedBatches v = validate(b, policy);
  EXPECT_EQ(v.error, ErrorCode::InvalidTimestamp);
  ASSERT_EQ(v.record_errors.size(), 2u);
  EXPECT_EQ(v.record_errors[0].batch_index, 0);
  EXPECT_EQ(v.record_errors[1].batch_index, 1);
}

TEST(ProduceValidator, ProducersCannotSetLogAppendTimeOnALogAppendTimeTopic) {
  protocol::RecordBatchHeader h = header(1);
  h.attributes = protocol::kLogAppendTimeBit;
  ProducePolicy policy;
  policy.log_append_time = true;
  const ValidatedBatches v = validate(batch(h, records(1)), policy);
  EXPECT_EQ(v.error, ErrorCode::InvalidTimestamp);
  ASSERT_EQ(v.record_errors.size(), 1u);
  EXPECT_EQ(v.record_errors[0].message,
            "Invalid timestamp type in message DefaultRecord(offset=0, timestamp=1700000000000, key=3 bytes, value=5 "
            "bytes). Producer should not set timestamp type to LogAppendTime.");
}

TEST(ProduceValidator, RecordErrorsAreBounded) {
  const int n = static_cast<int>(kMaxRecordErrors) + 500;
  Bytes unkeyed;
  for (int i = 0; i < n; ++i) append(unkeyed, record(i));
  const ValidatedBatches v = validate(batch(header(n), unkeyed), compacted());
  EXPECT_EQ(v.error, ErrorCode::InvalidRecord);
  EXPECT_EQ(v.record_errors.size(), kMaxRecordErrors);
  EXPECT_TRUE(v.message.starts_with("One or more records have been rejected due to 1500 record errors in total"))
      << v.message;
}

// ---- what the log stores ---------------------------------------------------

// Kafka sets a CreateTime batch's max_timestamp to its records' largest.
TEST(ProduceValidator, AWrongMaxTimestampIsCorrected) {
  for (Compression codec : kCodecs) {
    protocol::RecordBatchHeader h = header(3, codec);
    h.max_timestamp = kNowMs;  // records go up to kNowMs + 2
    const ValidatedBatches v = validate(batch(h, records(3)));
    ASSERT_EQ(v.error, ErrorCode::None) << v.message;
    ASSERT_EQ(v.rewritten.size(), 1u);
    const protocol::RecordBatchHeader stored = *protocol::parse_batch_header(v.batches[0]);
    EXPECT_EQ(stored.max_timestamp, kNowMs + 2);
    EXPECT_EQ(stored.compression(), codec);
    EXPECT_TRUE(protocol::batch_crc_valid(v.batches[0]));
  }
}

TEST(ProduceValidator, RecompressesToTheTopicsCodecAfterValidating) {
  ProducePolicy policy;
  policy.recompress_to = Compression::Lz4;
  const ValidatedBatches v = validate(batch(header(10, Compression::Gzip), records(10)), policy);
  ASSERT_EQ(v.error, ErrorCode::None) << v.message;
  EXPECT_EQ(protocol::parse_batch_header(v.batches[0])->compression(), Compression::Lz4);
  policy.compacted = true;
  EXPECT_EQ(validate(batch(header(1, Compression::Gzip), record(0)), policy).error, ErrorCode::InvalidRecord);
}

}  // namespace
}  // namespace freshet::server
