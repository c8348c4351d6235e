#include "protocol/compression.h"

#include <gtest/gtest.h>
#include <lz4frame.h>
#include <snappy.h>
#include <zstd.h>

#include <optional>
#include <random>
#include <string>
#include <vector>

#include "protocol/decompress_stream.h"
#include "protocol/wire.h"
#include "protocol_test_support.h"

namespace freshet::protocol {
namespace {

using namespace test_support;


// Text-like data that compresses well but not trivially.
std::vector<uint8_t> compressible_bytes(size_t n) {
  std::vector<uint8_t> v(n);
  std::mt19937 rng(7);
  const std::string words[] = {"event ", "stream ", "freshet ", "kafka ", "offset ", "partition "};
  size_t i = 0;
  while (i < n) {
    const std::string& w = words[rng() % 6];
    for (char c : w) {
      if (i == n) break;
      v[i++] = static_cast<uint8_t>(c);
    }
  }
  return v;
}

std::vector<uint8_t> concat(std::vector<uint8_t> a, const std::vector<uint8_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

class CodecTest : public ::testing::TestWithParam<Compression> {};
INSTANTIATE_TEST_SUITE_P(All, CodecTest, ::testing::ValuesIn(kCodecs),
                         [](const auto& info) { return std::string(compression_name(info.param)); });

class RealCodecTest : public ::testing::TestWithParam<Compression> {};
INSTANTIATE_TEST_SUITE_P(All, RealCodecTest, ::testing::ValuesIn(kRealCodecs),
                         [](const auto& info) { return std::string(compression_name(info.param)); });

TEST_P(CodecTest, RoundTrips) {
  const Compression codec = GetParam();
  const std::vector<std::vector<uint8_t>> inputs = {
      {}, {0x42}, random_bytes(1000, 1), compressible_bytes(kMiB), random_bytes(kMiB, 2), std::vector<uint8_t>(kMiB, 0)};
  for (const auto& input : inputs) {
    const std::vector<uint8_t> compressed = compress(codec, input);
    EXPECT_EQ(decompress(codec, compressed, input.size()), input) << input.size() << " bytes";
  }
}

TEST_P(CodecTest, CompressesRepetitiveData) {
  if (GetParam() == Compression::None) GTEST_SKIP();
  const std::vector<uint8_t> input = compressible_bytes(kMiB);
  EXPECT_LT(compress(GetParam(), input).size(), input.size() / 2);
}

TEST_P(CodecTest, OutputAboveTheCapThrows) {
  const std::vector<uint8_t> input(4 * kMiB, 0);
  const std::vector<uint8_t> compressed = compress(GetParam(), input);
  EXPECT_EQ(decompress(GetParam(), compressed, input.size()).size(), input.size());  // exactly at the cap
  EXPECT_THROW(decompress(GetParam(), compressed, input.size() - 1), DecodeError);
  EXPECT_THROW(decompress(GetParam(), compressed, kMiB), DecodeError);
  EXPECT_THROW(decompress(GetParam(), compressed, 0), DecodeError);
}

TEST_P(CodecTest, StreamsInPiecesOfAnySize) {
  const Compression codec = GetParam();
  const std::vector<uint8_t> input = concat(compressible_bytes(300000), random_bytes(70000, 9));
  const std::vector<uint8_t> compressed = compress(codec, input);
  for (size_t piece : {size_t{1}, size_t{7}, size_t{4096}, size_t{1} << 20}) {
    DecompressStream stream(codec, compressed, input.size());
    std::vector<uint8_t> out, buf(piece);
    while (size_t n = stream.read(buf)) out.insert(out.end(), buf.begin(), buf.begin() + static_cast<long>(n));
    EXPECT_EQ(out, input) << piece << "-byte pieces";
    EXPECT_EQ(stream.total_bytes(), input.size());
    EXPECT_EQ(stream.read(buf), 0u) << "stays ended";
  }
}

// zstd frames that declare their size are refused up front; every other
// stream decodes at most one byte past the cap.
TEST_P(CodecTest, StreamStopsAtTheCap) {
  const std::vector<uint8_t> compressed = compress(GetParam(), std::vector<uint8_t>(4 * kMiB, 0));
  std::vector<uint8_t> buf(64 * 1024);
  size_t returned = 0;
  std::optional<DecompressStream> stream;
  try {
    stream.emplace(GetParam(), compressed, kMiB);
    while (size_t n = stream->read(buf)) returned += n;
    FAIL() << "no error past the cap";
  } catch (const DecodeError&) {
  }
  EXPECT_LE(returned, kMiB);
  if (stream) {
    EXPECT_EQ(stream->total_bytes(), kMiB + 1);
  }
}

TEST_P(RealCodecTest, CorruptInputThrows) {
  const Compression codec = GetParam();
  const std::vector<uint8_t> input = compressible_bytes(200000);
  const std::vector<uint8_t> compressed = compress(codec, input);

  EXPECT_THROW(decompress(codec, {}, kMiB), DecodeError) << "empty";
  EXPECT_THROW(decompress(codec, random_bytes(100, 3), kMiB), DecodeError) << "garbage";
  const std::span<const uint8_t> whole(compressed);
  for (size_t keep : {size_t{1}, size_t{5}, compressed.size() / 2, compressed.size() - 1}) {
    EXPECT_THROW(decompress(codec, whole.first(keep), kMiB), DecodeError) << "truncated to " << keep;
  }
  EXPECT_THROW(decompress(codec, concat(compressed, {0x01, 0x02, 0x03}), kMiB), DecodeError) << "trailing garbage";

  // Damage in the middle either fails to decode or, for formats without a
  // checksum, yields different bytes; it never crashes.
  std::mt19937 rng(4);
  for (int i = 0; i < 200; ++i) {
    std::vector<uint8_t> damaged = compressed;
    damaged[rng() % damaged.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
    try {
      const std::vector<uint8_t> out = decompress(codec, damaged, kMiB);
      EXPECT_LE(out.size(), kMiB);
    } catch (const DecodeError&) {
    }
  }
}

TEST(Compression, UnknownCodecIdThrows) {
  EXPECT_THROW(decompress(static_cast<Compression>(5), std::vector<uint8_t>{1, 2, 3}, kMiB), DecodeError);
  EXPECT_THROW(decompress(static_cast<Compression>(7), std::vector<uint8_t>{}, kMiB), DecodeError);
}

TEST(Compression, Names) {
  for (Compression codec : kCodecs) EXPECT_EQ(compression_from_name(compression_name(codec)), codec);
  EXPECT_EQ(compression_from_name("zstd"), Compression::Zstd);
  EXPECT_EQ(compression_from_name("producer"), std::nullopt);
  EXPECT_EQ(compression_from_name("GZIP"), std::nullopt);
  EXPECT_EQ(compression_from_name(""), std::nullopt);
}

TEST(Compression, GzipWritesAGzipStreamAndReadsConcatenatedMembers) {
  const std::vector<uint8_t> a = compressible_bytes(1000), b = random_bytes(500, 5);
  const std::vector<uint8_t> ca = compress(Compression::Gzip, a);
  ASSERT_GE(ca.size(), 18u);
  EXPECT_EQ(ca[0], 0x1f);
  EXPECT_EQ(ca[1], 0x8b);
  EXPECT_EQ(ca[2], 8);  // deflate
  EXPECT_EQ(decompress(Compression::Gzip, concat(ca, compress(Compression::Gzip, b)), kMiB), concat(a, b));
}

TEST(Compression, SnappyWritesXerialFraming) {
  const std::vector<uint8_t> input = compressible_bytes(100000);  // 4 blocks of <= 32 KiB
  const std::vector<uint8_t> out = compress(Compression::Snappy, input);
  const std::vector<uint8_t> header = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1};
  ASSERT_GT(out.size(), header.size());
  EXPECT_TRUE(std::equal(header.begin(), header.end(), out.begin()));
  Reader in(std::span<const uint8_t>(out).subspan(header.size()));
  size_t blocks = 0, total = 0;
  while (in.remaining() > 0) {
    const auto block = in.raw(static_cast<size_t>(in.i32()));
    size_t length = 0;
    ASSERT_TRUE(snappy::GetUncompressedLength(reinterpret_cast<const char*>(block.data()), block.size(), &length));
    EXPECT_LE(length, 32u * 1024);
    total += length;
    ++blocks;
  }
  EXPECT_EQ(blocks, 4u);
  EXPECT_EQ(total, input.size());
  EXPECT_EQ(compress(Compression::Snappy, {}), header);
}

TEST(Compression, SnappyReadsRawBlocks) {
  const std::vector<uint8_t> input = compressible_bytes(100000);
  std::string raw;
  snappy::Compress(reinterpret_cast<const char*>(input.data()), input.size(), &raw);
  const std::vector<uint8_t> raw_bytes(raw.begin(), raw.end());
  EXPECT_EQ(decompress(Compression::Snappy, raw_bytes, kMiB), input);
  EXPECT_THROW(decompress(Compression::Snappy, raw_bytes, input.size() - 1), DecodeError);
}

TEST(Compression, SnappyRejectsImplausibleLengthWithoutAllocating) {
  // A raw block whose header claims 1 GiB.
  const std::vector<uint8_t> bomb = {0x80, 0x80, 0x80, 0x80, 0x04, 0x00};
  EXPECT_THROW(decompress(Compression::Snappy, bomb, size_t{2} << 30), DecodeError);
}

TEST(Compression, Lz4WritesKafkasFrameSettings) {
  const std::vector<uint8_t> input = compressible_bytes(300000);
  const std::vector<uint8_t> out = compress(Compression::Lz4, input);
  ASSERT_GT(out.size(), 7u);
  EXPECT_EQ((std::vector<uint8_t>{out.begin(), out.begin() + 4}), (std::vector<uint8_t>{0x04, 0x22, 0x4d, 0x18}));
  // FLG: version 01, independent blocks, no block checksum, no content size,
  // no content checksum. BD: 64 KiB blocks.
  EXPECT_EQ(out[4], 0x60);
  EXPECT_EQ(out[5], 0x40);
}

TEST(Compression, Lz4ReadsConcatenatedFramesAndForeignSettings) {
  const std::vector<uint8_t> a = compressible_bytes(200000), b = random_bytes(1000, 6);
  LZ4F_preferences_t prefs{};
  prefs.frameInfo.blockMode = LZ4F_blockLinked;
  prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
  prefs.frameInfo.contentSize = a.size();
  std::vector<uint8_t> linked(LZ4F_compressFrameBound(a.size(), &prefs));
  linked.resize(LZ4F_compressFrame(linked.data(), linked.size(), a.data(), a.size(), &prefs));
  EXPECT_EQ(decompress(Compression::Lz4, linked, kMiB), a);
  EXPECT_EQ(decompress(Compression::Lz4, concat(linked, compress(Compression::Lz4, b)), kMiB), concat(a, b));
}

TEST(Compression, ZstdReadsStreamedFramesWithoutContentSize) {
  const std::vector<uint8_t> input = compressible_bytes(3 * kMiB);
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0);
  std::vector<uint8_t> frame(ZSTD_compressBound(input.size()));
  frame.resize(ZSTD_compress2(cctx, frame.data(), frame.size(), input.data(), input.size()));
  ZSTD_freeCCtx(cctx);
  ASSERT_EQ(ZSTD_getFrameContentSize(frame.data(), frame.size()), ZSTD_CONTENTSIZE_UNKNOWN);

  EXPECT_EQ(decompress(Compression::Zstd, frame, input.size()), input);
  EXPECT_THROW(decompress(Compression::Zstd, frame, input.size() - 1), DecodeError);
  EXPECT_THROW(decompress(Compression::Zstd, std::span<const uint8_t>(frame).first(frame.size() - 3), 4 * kMiB),
               DecodeError);
  // Two frames, one with and one without a content size.
  const std::vector<uint8_t> tail = random_bytes(100, 8);
  EXPECT_EQ(decompress(Compression::Zstd, concat(frame, compress(Compression::Zstd, tail)), 4 * kMiB),
            concat(input, tail));
}

}  // namespace
}  // namespace freshet::protocol
