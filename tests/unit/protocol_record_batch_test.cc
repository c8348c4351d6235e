#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "protocol/batch_iterator.h"
#include "protocol/batch_records.h"
#include "protocol/control_record.h"
#include "protocol/crc32c.h"
#include "protocol/record.h"
#include "protocol/record_batch.h"
#include "protocol/record_batch_builder.h"
#include "protocol_test_support.h"

namespace freshet::protocol {
namespace {

using namespace test_support;


std::vector<uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

// Batches written by an independent implementation (kafka-python 2.0.2's
// DefaultRecordBatchBuilder): producer id 12345, epoch 3, base sequence 7,
// records at offsets 0..2 with timestamps 1700000000000 + {0, 5, 2}:
//   {key "k1", value "v1", headers [h1: "x"]}
//   {key null, value <second value>, no headers}
//   {key "", value null, headers [n: null]}
// The uncompressed one has "hello" as second value; the compressed ones
// (gzip, snappy in xerial framing, lz4 frame, zstd) "freshet " x 64.
constexpr std::string_view kUncompressedBatchHex =
    "0000000000000000000000570000000002df4cb9e00000000000020000018bcfe568000000018bcfe56805000000000000"
    "3039000300000007000000031e000000046b3104763102046831027816000a02010a68656c6c6f0012000404000102026e01";
constexpr uint32_t kUncompressedBatchCrc = 0xdf4cb9e0;

constexpr std::string_view kCompressedBatchHex[] = {
    "00000000000000000000007400000000022ce47d800001000000020000018bcfe568000000018bcfe5680500000000000030"
    "39000300000007000000031f8b08007a04036b02ff9363606060c9366429336462c93064aae8e360e062626ce0482b4a2dce"
    "482d5118a54726cd20c4c0c2c2c0c8c494c70800f302098e23020000",
    "00000000000000000000008c000000000283290e290002000000020000018bcfe568000000018bcfe5680500000000000030"
    "390003000000070000000382534e4150505900000000010000000100000047a3047c1e000000046b31047631020468310278"
    "8e08000a020180086672657368657420fe0800fe0800fe0800fe0800fe0800fe0800fe0800de080028001200040400010202"
    "6e01",
    "00000000000000000000007a00000000021377a2610003000000020000018bcfe568000000018bcfe5680500000000000030"
    "390003000000070000000304224d1868402302000000000000d832000000ff111e000000046b310476310204683102788e08"
    "000a0201800866726573686574200800ffe6b00012000404000102026e0100000000",
    "00000000000000000000006e000000000276ec02bc0004000000020000018bcfe568000000018bcfe5680500000000000030"
    "390003000000070000000328b52ffd6023019d0100b4021e000000046b310476310204683102788e08000a02018008667265"
    "73686574200012000404000102026e010100a89f5a9e",
};

constexpr int64_t kBaseTimestamp = 1700000000000;

std::vector<Record> reference_records(std::string_view second_value) {
  std::vector<Record> records(3);
  records[0] = {0, 0, 0, bytes("k1"), bytes("v1"), {{"h1", bytes("x")}}};
  records[1] = {0, 5, 1, std::nullopt, bytes(second_value), {}};
  records[2] = {0, 2, 2, bytes(""), std::nullopt, {{"n", std::nullopt}}};
  return records;
}

std::string repeated(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

RecordBatchOptions reference_options(Compression codec) {
  RecordBatchOptions o;
  o.compression = codec;
  o.partition_leader_epoch = 0;
  o.producer_id = 12345;
  o.producer_epoch = 3;
  o.base_sequence = 7;
  return o;
}

std::vector<uint8_t> build_reference_batch(Compression codec, std::string_view second_value) {
  RecordBatchBuilder builder(reference_options(codec));
  for (const Record& r : reference_records(second_value)) {
    builder.append(kBaseTimestamp + r.timestamp_delta, view_of(r.key), view_of(r.value), r.headers);
  }
  return builder.build();
}


// ---- header ----------------------------------------------------------------

TEST(RecordBatch, BuilderMatchesAnIndependentImplementationByteForByte) {
  const std::vector<uint8_t> expected = from_hex(kUncompressedBatchHex);
  EXPECT_EQ(build_reference_batch(Compression::None, "hello"), expected);
  EXPECT_EQ(crc32c(std::span<const uint8_t>(expected).subspan(kBatchAttributesOffset)), kUncompressedBatchCrc);
}

TEST(RecordBatch, ParsesHeaderFields) {
  const std::vector<uint8_t> batch = from_hex(kUncompressedBatchHex);
  const RecordBatchHeader h = header_of(batch);
  EXPECT_EQ(h.base_offset, 0);
  EXPECT_EQ(h.total_size(), batch.size());
  EXPECT_EQ(h.batch_length, static_cast<int32_t>(batch.size() - 12));
  EXPECT_EQ(h.partition_leader_epoch, 0);
  EXPECT_EQ(h.magic, 2);
  EXPECT_EQ(h.crc, kUncompressedBatchCrc);
  EXPECT_EQ(h.compression(), Compression::None);
  EXPECT_FALSE(h.log_append_time());
  EXPECT_FALSE(h.is_transactional());
  EXPECT_FALSE(h.is_control());
  EXPECT_FALSE(h.has_delete_horizon());
  EXPECT_EQ(h.last_offset_delta, 2);
  EXPECT_EQ(h.last_offset(), 2);
  EXPECT_EQ(h.base_timestamp, kBaseTimestamp);
  EXPECT_EQ(h.max_timestamp, kBaseTimestamp + 5);
  EXPECT_EQ(h.producer_id, 12345);
  EXPECT_EQ(h.producer_epoch, 3);
  EXPECT_EQ(h.base_sequence, 7);
  EXPECT_EQ(h.records_count, 3);
  EXPECT_FALSE(parse_batch_header(std::span<const uint8_t>(batch).first(60)).has_value());
}

TEST(RecordBatch, CrcDetectsDamage) {
  const std::vector<uint8_t> batch = from_hex(kUncompressedBatchHex);
  EXPECT_TRUE(batch_crc_valid(batch));
  EXPECT_EQ(compute_batch_crc(batch), kUncompressedBatchCrc);
  for (size_t i = kBatchAttributesOffset; i < batch.size(); ++i) {
    std::vector<uint8_t> damaged = batch;
    damaged[i] ^= 0x10;
    EXPECT_FALSE(batch_crc_valid(damaged)) << "byte " << i;
  }
  std::vector<uint8_t> bad_crc = batch;
  bad_crc[kBatchCrcOffset] ^= 1;
  EXPECT_FALSE(batch_crc_valid(bad_crc));
  EXPECT_FALSE(batch_crc_valid(std::span<const uint8_t>(batch).first(batch.size() - 1)));  // truncated
  EXPECT_FALSE(batch_crc_valid(std::span<const uint8_t>(batch).first(30)));
}

TEST(RecordBatch, SetBaseOffsetAndLeaderEpochKeepTheCrcValid) {
  std::vector<uint8_t> batch = build_reference_batch(Compression::Lz4, "x");
  const RecordBatchHeader before = header_of(batch);
  set_base_offset(batch, 0x0102030405060708);
  set_partition_leader_epoch(batch, 42);
  EXPECT_TRUE(batch_crc_valid(batch));
  RecordBatchHeader after = header_of(batch);
  EXPECT_EQ(after.base_offset, 0x0102030405060708);
  EXPECT_EQ(after.last_offset(), 0x0102030405060708 + 2);
  EXPECT_EQ(after.partition_leader_epoch, 42);
  after.base_offset = before.base_offset;
  after.partition_leader_epoch = before.partition_leader_epoch;
  EXPECT_EQ(after, before);
}

TEST(RecordBatch, SetLogAppendTimeRecomputesTheCrc) {
  std::vector<uint8_t> batch = build_reference_batch(Compression::Gzip, "x");
  const RecordBatchHeader before = header_of(batch);
  set_log_append_time(batch, 1800000000000);
  EXPECT_TRUE(batch_crc_valid(batch));
  const RecordBatchHeader after = header_of(batch);
  EXPECT_TRUE(after.log_append_time());
  EXPECT_EQ(after.compression(), Compression::Gzip);
  EXPECT_EQ(after.max_timestamp, 1800000000000);
  EXPECT_EQ(after.base_timestamp, before.base_timestamp);
  EXPECT_NE(after.crc, before.crc);
  EXPECT_EQ(decode_records(batch, kMiB), decode_records(build_reference_batch(Compression::Gzip, "x"), kMiB));
}

// ---- records -----------------------------------------------------------------

TEST(RecordBatch, DecodesBatchesOfAnIndependentImplementation) {
  EXPECT_EQ(decode_records(from_hex(kUncompressedBatchHex), kMiB), reference_records("hello"));
  const std::vector<Record> expected = reference_records(repeated("freshet ", 64));
  const Compression codecs[] = {Compression::Gzip, Compression::Snappy, Compression::Lz4, Compression::Zstd};
  for (size_t i = 0; i < 4; ++i) {
    const std::vector<uint8_t> batch = from_hex(kCompressedBatchHex[i]);
    EXPECT_TRUE(batch_crc_valid(batch));
    EXPECT_EQ(header_of(batch).compression(), codecs[i]);
    EXPECT_EQ(decode_records(batch, kMiB), expected) << compression_name(codecs[i]);
  }
}

TEST(RecordBatch, BuiltBatchesDecodeBackWithEveryCodec) {
  for (Compression codec : kCodecs) {
    const std::string value = repeated("freshet ", 64);
    const std::vector<uint8_t> batch = build_reference_batch(codec, value);
    EXPECT_TRUE(batch_crc_valid(batch));
    const RecordBatchHeader h = header_of(batch);
    EXPECT_EQ(h.compression(), codec);
    EXPECT_EQ(h.total_size(), batch.size());
    EXPECT_EQ(decode_records(batch, kMiB), reference_records(value)) << compression_name(codec);
    if (codec != Compression::None) {
      EXPECT_LT(batch.size(), build_reference_batch(Compression::None, value).size()) << compression_name(codec);
    }
  }
}

TEST(RecordBatch, ManyAndLargeRecordsRoundTrip) {
  for (Compression codec : kCodecs) {
    RecordBatchOptions options;
    options.compression = codec;
    options.base_offset = 1000;
    RecordBatchBuilder builder(options);
    std::vector<uint8_t> big(kMiB);
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i * 7 / 3);
    builder.append(50, std::nullopt, std::span<const uint8_t>(big));
    for (int i = 0; i < 1000; ++i) {
      const std::string key = "key-" + std::to_string(i);
      const std::vector<RecordHeader> headers = {{"i", bytes(std::to_string(i))}};
      builder.append(10 + i % 7, bytes(key), bytes("value"), headers);
    }
    const std::vector<uint8_t> batch = builder.build();
    const RecordBatchHeader h = header_of(batch);
    EXPECT_EQ(h.records_count, 1001);
    EXPECT_EQ(h.last_offset(), 2000);
    EXPECT_EQ(h.base_timestamp, 50);
    EXPECT_EQ(h.max_timestamp, 50);
    const std::vector<Record> records = decode_records(batch, 2 * kMiB);
    ASSERT_EQ(records.size(), 1001u);
    EXPECT_EQ(records[0].value, big);
    EXPECT_EQ(records[1000].offset_delta, 1000);
    EXPECT_EQ(records[1000].timestamp_delta, 10 + 999 % 7 - 50);
    EXPECT_EQ(records[1000].key, bytes("key-999"));
    EXPECT_EQ(records[1000].headers, (std::vector<RecordHeader>{{"i", bytes("999")}}));
    EXPECT_THROW(decode_records(batch, kMiB), DecodeError) << "records above the cap";
  }
}

TEST(RecordBatch, EmptyBatchAndCompactionOptions) {
  RecordBatchOptions options;
  options.base_offset = 10;
  options.last_offset_delta = 4;
  options.delete_horizon_ms = 5000;
  RecordBatchBuilder empty(options);
  const std::vector<uint8_t> batch = empty.build();
  EXPECT_EQ(batch.size(), kRecordBatchHeaderSize);
  const RecordBatchHeader h = header_of(batch);
  EXPECT_EQ(h.records_count, 0);
  EXPECT_EQ(h.last_offset(), 14);
  EXPECT_TRUE(h.has_delete_horizon());
  EXPECT_EQ(h.base_timestamp, 5000);
  EXPECT_EQ(h.max_timestamp, kNoTimestamp);
  EXPECT_TRUE(batch_crc_valid(batch));
  EXPECT_TRUE(decode_records(batch, kMiB).empty());

  // Retained records keep their offsets; timestamps are relative to the horizon.
  RecordBatchBuilder retained(options);
  retained.append_at(1, 6000, bytes("a"), bytes("1"));
  retained.append_at(3, 7000, bytes("b"), std::nullopt);
  EXPECT_THROW(retained.append_at(3, 7000, bytes("c"), bytes("x")), std::invalid_argument);
  const std::vector<uint8_t> compacted = retained.build();
  EXPECT_EQ(header_of(compacted).last_offset(), 14);
  EXPECT_EQ(header_of(compacted).max_timestamp, 7000);
  const std::vector<Record> records = decode_records(compacted, kMiB);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].offset_delta, 1);
  EXPECT_EQ(records[0].timestamp_delta, 1000);
  EXPECT_EQ(records[1].offset_delta, 3);
  EXPECT_EQ(records[1].timestamp_delta, 2000);
}

TEST(RecordBatch, RecompressKeepsEverythingButTheCodec) {
  for (Compression from : kCodecs) {
    RecordBatchOptions options = reference_options(from);
    options.base_offset = 77;
    options.transactional = true;
    RecordBatchBuilder builder(options);
    for (const Record& r : reference_records(repeated("abc", 100))) {
      builder.append(kBaseTimestamp + r.timestamp_delta, view_of(r.key), view_of(r.value), r.headers);
    }
    const std::vector<uint8_t> original = builder.build();
    for (Compression to : kCodecs) {
      const std::vector<uint8_t> converted = recompress_batch(original, to, kMiB);
      EXPECT_TRUE(batch_crc_valid(converted));
      RecordBatchHeader h = header_of(converted);
      EXPECT_EQ(h.compression(), to);
      EXPECT_EQ(decode_records(converted, kMiB), decode_records(original, kMiB));
      RecordBatchHeader expected = header_of(original);
      expected.attributes = static_cast<int16_t>((expected.attributes & ~kCompressionCodecMask) | static_cast<int16_t>(to));
      h.batch_length = expected.batch_length;
      h.crc = expected.crc;
      EXPECT_EQ(h, expected) << compression_name(from) << " -> " << compression_name(to);
      if (from == to) {
        EXPECT_EQ(converted.size(), original.size());
      }
    }
  }
}

TEST(RecordBatch, DecodeRejectsMalformedBatches) {
  const std::vector<uint8_t> good = from_hex(kUncompressedBatchHex);
  auto with_count = [&](int32_t count) {
    std::vector<uint8_t> b = good;
    for (int i = 0; i < 4; ++i) b[57 + i] = static_cast<uint8_t>(static_cast<uint32_t>(count) >> (24 - 8 * i));
    return b;
  };
  EXPECT_THROW(decode_records(with_count(4), kMiB), DecodeError) << "fewer records than declared";
  EXPECT_THROW(decode_records(with_count(2), kMiB), DecodeError) << "bytes left after the records";
  EXPECT_THROW(decode_records(with_count(-1), kMiB), DecodeError);
  EXPECT_THROW(decode_records(with_count(INT32_MAX), kMiB), DecodeError);
  EXPECT_THROW(decode_records(std::span<const uint8_t>(good).first(good.size() - 1), kMiB), DecodeError);
  EXPECT_THROW(decode_records(std::span<const uint8_t>(good).first(40), kMiB), DecodeError);
  EXPECT_THROW(decode_records(good, 10), DecodeError) << "records above the cap";

  std::vector<uint8_t> bad_codec = good;
  bad_codec[22] |= 0x07;
  EXPECT_THROW(decode_records(bad_codec, kMiB), DecodeError);

  std::vector<uint8_t> gzip = from_hex(kCompressedBatchHex[0]);
  gzip[gzip.size() - 12] ^= 0xFF;  // inside the deflate data
  EXPECT_THROW(decode_records(gzip, kMiB), DecodeError);

  // Every truncation and every single-byte change decodes or throws DecodeError.
  for (Compression codec : kCodecs) {
    const std::vector<uint8_t> batch = build_reference_batch(codec, "value");
    for (size_t i = 0; i < batch.size(); ++i) {
      std::vector<uint8_t> damaged = batch;
      damaged[i] ^= 0xA5;
      try {
        decode_records(damaged, kMiB);
      } catch (const DecodeError&) {
      }
    }
  }
}

TEST(Record, ReadRejectsMalformedRecords) {
  auto read = [](std::vector<uint8_t> bytes) {
    Reader in(bytes);
    return read_record(in);
  };
  // length 6: attributes, ts delta, offset delta, key null, value null, 0 headers.
  const Record empty = read({0x0c, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00});
  EXPECT_FALSE(empty.key.has_value());
  EXPECT_FALSE(empty.value.has_value());
  EXPECT_THROW(read({0x0c, 0x00, 0x00, 0x00, 0x01, 0x01}), DecodeError) << "shorter than its length";
  EXPECT_THROW(read({0x0e, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00}), DecodeError) << "length beyond its fields";
  EXPECT_THROW(read({0x01}), DecodeError) << "negative length";
  EXPECT_THROW(read({0x0c, 0x00, 0x00, 0x00, 0x03, 0x01, 0x00}), DecodeError) << "key length -2";
  EXPECT_THROW(read({0x0c, 0x00, 0x00, 0x00, 0x01, 0x01, 0x01}), DecodeError) << "header count -1";
  EXPECT_THROW(read({0x0c, 0x00, 0x00, 0x00, 0x01, 0x01, 0x7e}), DecodeError) << "header count 63";
  EXPECT_THROW(read({0x0e, 0x00, 0x00, 0x00, 0x01, 0x01, 0x02, 0x01}), DecodeError) << "header key length -1";
}

// ---- control records -----------------------------------------------------------

TEST(ControlRecord, EndTxnMarkerBatchRoundTrips) {
  for (ControlRecordType type : {ControlRecordType::kCommit, ControlRecordType::kAbort}) {
    const std::vector<uint8_t> batch = build_end_txn_marker_batch({type, 17}, 4242, 9, 1234567, 500);
    EXPECT_TRUE(batch_crc_valid(batch));
    const RecordBatchHeader h = header_of(batch);
    EXPECT_TRUE(h.is_control());
    EXPECT_TRUE(h.is_transactional());
    EXPECT_EQ(h.compression(), Compression::None);
    EXPECT_EQ(h.base_offset, 500);
    EXPECT_EQ(h.producer_id, 4242);
    EXPECT_EQ(h.producer_epoch, 9);
    EXPECT_EQ(h.base_sequence, kNoSequence);
    EXPECT_EQ(h.records_count, 1);
    EXPECT_EQ(h.base_timestamp, 1234567);
    const std::vector<Record> records = decode_records(batch, kMiB);
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].key, (std::vector<uint8_t>{0, 0, 0, static_cast<uint8_t>(type)}));
    EXPECT_EQ(records[0].value, (std::vector<uint8_t>{0, 0, 0, 0, 0, 17}));
    EXPECT_EQ(parse_end_txn_marker(records[0]), (EndTxnMarker{type, 17}));
  }
  EXPECT_THROW(build_end_txn_marker_batch({ControlRecordType::kLeaderChange, 1}, 1, 1, 1), std::invalid_argument);
}

TEST(ControlRecord, ParsesKeysLikeKafka) {
  EXPECT_EQ(control_record_key(ControlRecordType::kCommit), (std::vector<uint8_t>{0, 0, 0, 1}));
  EXPECT_EQ(parse_control_record_type(std::vector<uint8_t>{0, 0, 0, 0}), ControlRecordType::kAbort);
  EXPECT_EQ(parse_control_record_type(std::vector<uint8_t>{0, 0, 0, 6}), ControlRecordType::kKraftVoters);
  EXPECT_EQ(parse_control_record_type(std::vector<uint8_t>{0, 0, 0, 99}), ControlRecordType::kUnknown);
  EXPECT_EQ(parse_control_record_type(std::vector<uint8_t>{0, 3, 0, 1, 0xff}), ControlRecordType::kCommit)
      << "newer versions read as version 0";
  EXPECT_THROW(parse_control_record_type(std::vector<uint8_t>{0, 0, 0}), DecodeError);
  EXPECT_THROW(parse_control_record_type(std::vector<uint8_t>{0x80, 0, 0, 1}), DecodeError);

  Record r;
  r.key = std::vector<uint8_t>{0, 0, 0, 1};
  r.value = std::vector<uint8_t>{0, 0, 0, 0, 0};
  EXPECT_THROW(parse_end_txn_marker(r), DecodeError) << "value too short";
  r.value = std::nullopt;
  EXPECT_THROW(parse_end_txn_marker(r), DecodeError);
  r.key = std::vector<uint8_t>{0, 0, 0, 2};
  r.value = std::vector<uint8_t>{0, 0, 0, 0, 0, 1};
  EXPECT_THROW(parse_end_txn_marker(r), DecodeError) << "leader change is not a marker";
}

// ---- splitting record sets -------------------------------------------------------

std::vector<uint8_t> three_batches() {
  std::vector<uint8_t> set;
  for (Compression codec : {Compression::None, Compression::Zstd, Compression::Snappy}) {
    const std::vector<uint8_t> b = build_reference_batch(codec, repeated("z", 300));
    set.insert(set.end(), b.begin(), b.end());
  }
  return set;
}

TEST(BatchIterator, SplitsConcatenatedBatches) {
  const std::vector<uint8_t> set = three_batches();
  const auto batches = split_batches(set);
  ASSERT_EQ(batches.size(), 3u);
  size_t total = 0;
  for (const auto& b : batches) {
    EXPECT_EQ(b.data(), set.data() + total);
    EXPECT_EQ(header_of(b).total_size(), b.size());
    EXPECT_TRUE(batch_crc_valid(b));
    total += b.size();
  }
  EXPECT_EQ(total, set.size());
  EXPECT_TRUE(split_batches({}).empty());
}

TEST(BatchIterator, ToleratesAPartialTailButSplitBatchesRejectsIt) {
  const std::vector<uint8_t> set = three_batches();
  const size_t two = split_batches(set)[0].size() + split_batches(set)[1].size();
  for (size_t cut : {two + 1, two + 16, two + 17, two + 61, set.size() - 1}) {
    const auto partial = std::span<const uint8_t>(set).first(cut);
    BatchIterator it(partial);
    int whole = 0;
    while (it.next()) ++whole;
    EXPECT_EQ(whole, 2);
    EXPECT_EQ(it.position(), two);
    EXPECT_EQ(it.partial_tail_bytes(), cut - two);
    try {
      split_batches(partial);
      ADD_FAILURE() << "accepted a partial batch cut at " << cut;
    } catch (const BatchFormatError& e) {
      EXPECT_EQ(e.kind(), BatchFormatError::Kind::kTruncated);
    }
  }
}

BatchFormatError::Kind split_error(const std::vector<uint8_t>& set, size_t max_batch_bytes = SIZE_MAX) {
  try {
    split_batches(set, max_batch_bytes);
  } catch (const BatchFormatError& e) {
    return e.kind();
  }
  ADD_FAILURE() << "no error";
  return BatchFormatError::Kind::kTruncated;
}

TEST(BatchIterator, RejectsBadFraming) {
  std::vector<uint8_t> legacy = from_hex(kUncompressedBatchHex);
  legacy[16] = 1;
  EXPECT_EQ(split_error(legacy), BatchFormatError::Kind::kUnsupportedMagic);
  try {
    split_batches(legacy);
  } catch (const BatchFormatError& e) {
    EXPECT_NE(std::string(e.what()).find("v1 is not supported"), std::string::npos) << e.what();
  }
  legacy[16] = 0;
  EXPECT_EQ(split_error(legacy), BatchFormatError::Kind::kUnsupportedMagic);
  legacy[16] = 3;
  EXPECT_EQ(split_error(legacy), BatchFormatError::Kind::kUnsupportedMagic);

  std::vector<uint8_t> short_length = from_hex(kUncompressedBatchHex);
  short_length[11] = 48;  // below the 49 bytes of header after batch_length
  EXPECT_EQ(split_error(short_length), BatchFormatError::Kind::kBadLength);
  std::vector<uint8_t> negative_length = from_hex(kUncompressedBatchHex);
  negative_length[8] = 0x80;
  EXPECT_EQ(split_error(negative_length), BatchFormatError::Kind::kBadLength);

  const std::vector<uint8_t> set = three_batches();
  EXPECT_EQ(split_error(set, 100), BatchFormatError::Kind::kBadLength);
  EXPECT_EQ(split_batches(set, 10000).size(), 3u);

  // A bad batch after good ones is reported when reached.
  std::vector<uint8_t> mixed = set;
  const std::vector<uint8_t> bad = legacy;
  mixed.insert(mixed.end(), bad.begin(), bad.end());
  BatchIterator it(mixed);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(it.next());
  EXPECT_THROW(it.next(), BatchFormatError);
}

}  // namespace
}  // namespace freshet::protocol
