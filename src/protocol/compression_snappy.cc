// snappy: snappy-java's "xerial" stream framing (what Kafka's Java client
// writes) on output; on input the xerial framing or a raw snappy block (which
// some librdkafka versions send).
//
// Xerial framing: the 8-byte magic 0x82 "SNAPPY" 0x00, int32 version and
// int32 minimum compatible version (big-endian, both 1), then blocks of
// [int32 compressed length][raw snappy block], each block holding at most
// 32 KiB of input.
#include <snappy.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "protocol/compression_codecs.h"
#include "protocol/wire.h"

namespace freshet::protocol::codecs {
namespace {

constexpr uint8_t kXerialMagic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
constexpr int32_t kXerialVersion = 1;
constexpr int32_t kXerialCompatibleVersion = 1;
constexpr size_t kXerialHeaderBytes = sizeof(kXerialMagic) + 8;
constexpr size_t kXerialBlockBytes = 32 * 1024;  // snappy-java's default block size
// No snappy element expands more than 64 output bytes per 3 input bytes, so a
// block claiming more than this ratio is corrupt; rejecting it early avoids
// allocating for a length the block cannot fill.
constexpr size_t kMaxSnappyExpansion = 32;

bool has_xerial_magic(std::span<const uint8_t> input) {
  return input.size() >= kXerialHeaderBytes && std::memcmp(input.data(), kXerialMagic, sizeof(kXerialMagic)) == 0;
}

// Appends the decoding of one raw snappy block to `out`, keeping `out` within
// `max_output_bytes`.
void append_raw_block(std::span<const uint8_t> block, size_t max_output_bytes, std::vector<uint8_t>& out) {
  const char* data = reinterpret_cast<const char*>(block.data());
  size_t length = 0;
  if (!snappy::GetUncompressedLength(data, block.size(), &length)) {
    throw DecodeError("snappy: corrupt block header");
  }
  if (length / kMaxSnappyExpansion > block.size()) throw DecodeError("snappy: corrupt block length");
  if (length > max_output_bytes - out.size()) {
    throw DecodeError("decompressed data exceeds the limit of " + std::to_string(max_output_bytes) + " bytes");
  }
  const size_t start = out.size();
  out.resize(start + length);
  if (!snappy::RawUncompress(data, block.size(), reinterpret_cast<char*>(out.data() + start))) {
    throw DecodeError("snappy: corrupt block");
  }
}

}  // namespace

std::vector<uint8_t> snappy_compress(std::span<const uint8_t> input) {
  Writer out;
  out.raw(kXerialMagic);
  out.i32(kXerialVersion);
  out.i32(kXerialCompatibleVersion);
  std::vector<uint8_t>& buf = out.buffer();
  for (size_t pos = 0; pos < input.size(); pos += kXerialBlockBytes) {
    const size_t n = std::min(kXerialBlockBytes, input.size() - pos);
    const size_t length_at = buf.size();
    out.i32(0);  // block length, patched below
    buf.resize(length_at + 4 + snappy::MaxCompressedLength(n));
    size_t compressed = 0;
    snappy::RawCompress(reinterpret_cast<const char*>(input.data() + pos), n,
                        reinterpret_cast<char*>(buf.data() + length_at + 4), &compressed);
    buf.resize(length_at + 4 + compressed);
    out.put_i32_at(length_at, static_cast<int32_t>(compressed));
  }
  return out.take();
}

std::vector<uint8_t> snappy_decompress(std::span<const uint8_t> input, size_t max_output_bytes) {
  std::vector<uint8_t> out;
  if (!has_xerial_magic(input)) {
    append_raw_block(input, max_output_bytes, out);
    return out;
  }
  Reader in(input.subspan(kXerialHeaderBytes));  // versions are not checked, like snappy-java
  while (in.remaining() > 0) {
    const int32_t length = in.i32();
    if (length < 0 || static_cast<size_t>(length) > in.remaining()) {
      throw DecodeError("snappy: truncated or corrupt xerial block length " + std::to_string(length));
    }
    append_raw_block(in.raw(static_cast<size_t>(length)), max_output_bytes, out);
  }
  return out;
}

}  // namespace freshet::protocol::codecs
