#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <vector>

#include "protocol/wire.h"

namespace freshet::protocol {
namespace {

using Bytes = std::vector<uint8_t>;

template <typename Fn>
Bytes written(Fn&& fn) {
  Writer w;
  fn(w);
  return w.take();
}

TEST(WireTest, UnsignedVarintEncodings) {
  EXPECT_EQ(written([](Writer& w) { w.uvarint(0); }), (Bytes{0x00}));
  EXPECT_EQ(written([](Writer& w) { w.uvarint(127); }), (Bytes{0x7f}));
  EXPECT_EQ(written([](Writer& w) { w.uvarint(128); }), (Bytes{0x80, 0x01}));
  EXPECT_EQ(written([](Writer& w) { w.uvarint(300); }), (Bytes{0xac, 0x02}));
  EXPECT_EQ(written([](Writer& w) { w.uvarint(UINT32_MAX); }), (Bytes{0xff, 0xff, 0xff, 0xff, 0x0f}));
  EXPECT_EQ(uvarint_size(0), 1u);
  EXPECT_EQ(uvarint_size(127), 1u);
  EXPECT_EQ(uvarint_size(128), 2u);
  EXPECT_EQ(uvarint_size(UINT32_MAX), 5u);
  EXPECT_EQ(uvarint_size(UINT64_MAX), 10u);
}

TEST(WireTest, ZigZagVarintEncodings) {
  EXPECT_EQ(written([](Writer& w) { w.varint(0); }), (Bytes{0x00}));
  EXPECT_EQ(written([](Writer& w) { w.varint(-1); }), (Bytes{0x01}));
  EXPECT_EQ(written([](Writer& w) { w.varint(1); }), (Bytes{0x02}));
  EXPECT_EQ(written([](Writer& w) { w.varint(-2); }), (Bytes{0x03}));
  EXPECT_EQ(written([](Writer& w) { w.varint(INT32_MAX); }), (Bytes{0xfe, 0xff, 0xff, 0xff, 0x0f}));
  EXPECT_EQ(written([](Writer& w) { w.varint(INT32_MIN); }), (Bytes{0xff, 0xff, 0xff, 0xff, 0x0f}));
  EXPECT_EQ(written([](Writer& w) { w.varlong(INT64_MIN); }),
            (Bytes{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));
}

TEST(WireTest, VarintsRoundTripAtTheEdges) {
  const int32_t ints[] = {0, 1, -1, 63, -64, 64, -65, 8191, -8192, INT32_MAX, INT32_MIN};
  const int64_t longs[] = {0, 1, -1, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN, int64_t{1} << 40};
  Writer w;
  for (int32_t v : ints) w.varint(v);
  for (int64_t v : longs) w.varlong(v);
  w.uvarlong(UINT64_MAX);
  const Bytes bytes = w.take();
  Reader r(bytes);
  for (int32_t v : ints) EXPECT_EQ(r.varint(), v);
  for (int64_t v : longs) EXPECT_EQ(r.varlong(), v);
  EXPECT_EQ(r.uvarlong(), UINT64_MAX);
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(WireTest, MalformedVarintsThrow) {
  const Bytes too_long{0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
  const Bytes overflows_32_bits{0xff, 0xff, 0xff, 0xff, 0x1f};
  const Bytes truncated{0x80};
  const Bytes varlong_too_long{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
  EXPECT_THROW(Reader(too_long).uvarint(), DecodeError);
  EXPECT_THROW(Reader(overflows_32_bits).uvarint(), DecodeError);
  EXPECT_THROW(Reader(truncated).uvarint(), DecodeError);
  EXPECT_THROW(Reader(truncated).varlong(), DecodeError);
  EXPECT_THROW(Reader(varlong_too_long).uvarlong(), DecodeError);
}

TEST(WireTest, FixedWidthIsBigEndian) {
  const Bytes bytes = written([](Writer& w) {
    w.i16(0x0102);
    w.i32(-2);
    w.i64(0x0102030405060708);
    w.f64(1.0);
  });
  EXPECT_EQ(bytes, (Bytes{0x01, 0x02, 0xff, 0xff, 0xff, 0xfe, 1, 2, 3, 4, 5, 6, 7, 8,
                          0x3f, 0xf0, 0, 0, 0, 0, 0, 0}));
  Reader r(bytes);
  EXPECT_EQ(r.i16(), 0x0102);
  EXPECT_EQ(r.i32(), -2);
  EXPECT_EQ(r.i64(), 0x0102030405060708);
  EXPECT_EQ(r.f64(), 1.0);
  EXPECT_THROW(r.u8(), DecodeError);
}

TEST(WireTest, ClassicAndCompactStrings) {
  EXPECT_EQ(written([](Writer& w) { w.string("abc"); }), (Bytes{0x00, 0x03, 'a', 'b', 'c'}));
  EXPECT_EQ(written([](Writer& w) { w.nullable_string(std::nullopt); }), (Bytes{0xff, 0xff}));
  EXPECT_EQ(written([](Writer& w) { w.compact_string("abc"); }), (Bytes{0x04, 'a', 'b', 'c'}));
  EXPECT_EQ(written([](Writer& w) { w.compact_string(""); }), (Bytes{0x01}));
  EXPECT_EQ(written([](Writer& w) { w.compact_nullable_string(std::nullopt); }), (Bytes{0x00}));

  const Bytes classic_null{0xff, 0xff};
  const Bytes compact_null{0x00};
  const Bytes negative{0xff, 0xfe};
  const Bytes short_string{0x00, 0x05, 'a'};
  EXPECT_EQ(Reader(classic_null).nullable_string(), std::nullopt);
  EXPECT_EQ(Reader(compact_null).compact_nullable_string(), std::nullopt);
  EXPECT_THROW(Reader(classic_null).string(), DecodeError);
  EXPECT_THROW(Reader(compact_null).compact_string(), DecodeError);
  EXPECT_THROW(Reader(negative).nullable_string(), DecodeError);
  EXPECT_THROW(Reader(short_string).string(), DecodeError);
  EXPECT_THROW(Writer().string(std::string(0x8000, 'x')), std::length_error);
}

TEST(WireTest, BytesAndRecords) {
  const Bytes payload{1, 2, 3};
  EXPECT_EQ(written([&](Writer& w) { w.bytes(payload); }), (Bytes{0, 0, 0, 3, 1, 2, 3}));
  EXPECT_EQ(written([&](Writer& w) { w.compact_bytes(payload); }), (Bytes{4, 1, 2, 3}));
  EXPECT_EQ(written([](Writer& w) { w.nullable_bytes(std::nullopt); }), (Bytes{0xff, 0xff, 0xff, 0xff}));
  EXPECT_EQ(written([](Writer& w) { w.compact_nullable_records(std::nullopt); }), (Bytes{0x00}));

  const Bytes huge_length{0x7f, 0xff, 0xff, 0xff, 1};
  EXPECT_THROW(Reader(huge_length).bytes(), DecodeError);
  EXPECT_THROW(Reader(huge_length).nullable_records(), DecodeError);

  // Records view the reader's bytes and share its owner.
  auto frame = std::make_shared<Bytes>(Bytes{0, 0, 0, 2, 0xaa, 0xbb});
  Reader r(*frame, frame);
  auto records = r.nullable_records();
  ASSERT_TRUE(records.has_value());
  EXPECT_EQ(records->bytes.data(), frame->data() + 4);
  EXPECT_EQ(records->bytes.size(), 2u);
  EXPECT_EQ(records->owner, frame);
}

TEST(WireTest, ArrayLengths) {
  EXPECT_EQ(written([](Writer& w) { w.compact_array_length(std::nullopt); }), (Bytes{0x00}));
  EXPECT_EQ(written([](Writer& w) { w.compact_array_length(2); }), (Bytes{0x03}));
  EXPECT_EQ(written([](Writer& w) { w.array_length(std::nullopt); }), (Bytes{0xff, 0xff, 0xff, 0xff}));

  const Bytes null_array{0xff, 0xff, 0xff, 0xff};
  const Bytes two_elements{0, 0, 0, 2, 7, 7};
  const Bytes hostile{0x7f, 0xff, 0xff, 0xff, 0};
  const Bytes compact_hostile{0xff, 0xff, 0xff, 0xff, 0x0f, 0};
  EXPECT_EQ(Reader(null_array).array_length(), std::nullopt);
  EXPECT_EQ(Reader(two_elements).array_length(), 2);
  EXPECT_THROW(Reader(hostile).array_length(), DecodeError);
  EXPECT_THROW(Reader(compact_hostile).compact_array_length(), DecodeError);
}

TEST(WireTest, SubReaderIsBounded) {
  const Bytes bytes{1, 2, 3, 4};
  Reader r(bytes);
  Reader sub = r.sub(2);
  EXPECT_EQ(r.position(), 2u);
  EXPECT_EQ(sub.u8(), 1);
  EXPECT_EQ(sub.u8(), 2);
  EXPECT_THROW(sub.u8(), DecodeError);
  EXPECT_THROW(r.sub(3), DecodeError);
}

TEST(WireTest, UuidBase64MatchesKafka) {
  EXPECT_EQ(Uuid{}.to_base64(), "AAAAAAAAAAAAAAAAAAAAAA");
  EXPECT_EQ((Uuid{0, 1}.to_base64()), "AAAAAAAAAAAAAAAAAAAAAQ");  // Kafka's METADATA_TOPIC_ID
  const Uuid u{0xfbfffefdfcfbfaf9ULL, 0x0011223344556677ULL};
  EXPECT_EQ(u.to_base64(), "-__-_fz7-vkAESIzRFVmdw");
  EXPECT_EQ(Uuid::from_base64("-__-_fz7-vkAESIzRFVmdw"), u);
  EXPECT_EQ(Uuid::from_base64("-__-_fz7-vkAESIzRFVmdw=="), u);
  EXPECT_EQ(Uuid::from_base64("AAAAAAAAAAAAAAAAAAAAAQ"), (Uuid{0, 1}));
  EXPECT_EQ(Uuid::from_base64("AAAAAAAAAAAAAAAAAAAAA"), std::nullopt);     // 21 chars
  EXPECT_EQ(Uuid::from_base64("AAAAAAAAAAAAAAAAAAAAA+"), std::nullopt);    // not URL-safe
  EXPECT_EQ(Uuid::from_base64("AAAAAAAAAAAAAAAAAAAAAAA"), std::nullopt);   // 23 chars
}

TEST(WireTest, RandomUuidsAreVersion4AndRoundTrip) {
  for (int i = 0; i < 100; ++i) {
    const Uuid u = Uuid::random();
    EXPECT_EQ((u.hi >> 12) & 0xf, 4u);
    EXPECT_EQ(u.lo >> 62, 2u);
    const std::string text = u.to_base64();
    EXPECT_EQ(text.size(), 22u);
    EXPECT_NE(text[0], '-');
    EXPECT_EQ(Uuid::from_base64(text), u);
  }
  Writer w;
  const Uuid u = Uuid::random();
  w.uuid(u);
  const Bytes bytes = w.take();
  EXPECT_EQ(Reader(bytes).uuid(), u);
}

}  // namespace
}  // namespace freshet::protocol

namespace freshet::protocol {
namespace {

// Large owned record sets are referenced by take_message() and copied by
// take(); both spell the same bytes.
TEST(WriterExternalRecords, ReferencedWhenLargeAndOwned) {
  auto data = std::make_shared<std::vector<uint8_t>>(Writer::kExternalRecordsMinBytes, uint8_t{7});
  Records large{std::span<const uint8_t>(*data), data, std::nullopt};
  Records small{std::span<const uint8_t>(*data).first(10), data, std::nullopt};

  auto encode = [&](Writer& w) {
    w.i32(42);
    w.nullable_records(large);
    w.compact_nullable_records(small);
    w.i16(-1);
  };
  Writer referencing;
  encode(referencing);
  EncodedMessage message = referencing.take_message();
  ASSERT_EQ(message.externals.size(), 1u);
  EXPECT_EQ(message.externals[0].first, 8u);  // after the int32 and the length prefix

  Writer copying;
  encode(copying);
  std::vector<uint8_t> flat = copying.take();
  EXPECT_EQ(flat.size(), message.size());

  Reader r(flat);
  EXPECT_EQ(r.i32(), 42);
  EXPECT_EQ(r.nullable_records()->bytes.size(), data->size());
  EXPECT_EQ(r.compact_nullable_records()->bytes.size(), 10u);
  EXPECT_EQ(r.i16(), -1);
}

}  // namespace
}  // namespace freshet::protocol
