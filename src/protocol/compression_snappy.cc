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
#include <memory>
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

// Decodes one raw snappy block into `out` (replacing what it held), refusing
// a block that declares more than `max_output_bytes`.
void decode_raw_block(std::span<const uint8_t> block, size_t max_output_bytes, std::vector<uint8_t>& out) {
  const char* data = reinterpret_cast<const char*>(block.data());
  size_t length = 0;
  if (!snappy::GetUncompressedLength(data, block.size(), &length)) {
    throw DecodeError("snappy: corrupt block header");
  }
  if (length / kMaxSnappyExpansion > block.size()) throw DecodeError("snappy: corrupt block length");
  if (length > max_output_bytes) {
    throw DecodeError("decompressed data exceeds the limit of " + std::to_string(max_output_bytes) + " bytes");
  }
  out.resize(length);
  if (!snappy::RawUncompress(data, block.size(), reinterpret_cast<char*>(out.data()))) {
    throw DecodeError("snappy: corrupt block");
  }
}

// Serves the input one decoded block at a time: the snappy format lets a
// block refer back to any earlier byte of itself, so a block is decoded
// whole (xerial blocks hold 32 KiB; a raw block is the whole record set).
class SnappyDecoder : public Decoder {
 public:
  SnappyDecoder(std::span<const uint8_t> input, size_t max_output_bytes)
      : xerial_(has_xerial_magic(input)),
        // versions are not checked, like snappy-java
        in_(xerial_ ? input.subspan(kXerialHeaderBytes) : input),
        max_output_bytes_(max_output_bytes) {}

  size_t read(std::span<uint8_t> out) override {
    while (block_pos_ == block_.size()) {
      if (!next_block()) return 0;
    }
    const size_t n = std::min(out.size(), block_.size() - block_pos_);
    std::memcpy(out.data(), block_.data() + block_pos_, n);
    block_pos_ += n;
    return n;
  }

 private:
  bool next_block() {
    if (in_.remaining() == 0 && (xerial_ || raw_done_)) return false;
    std::span<const uint8_t> block = in_.rest();
    if (xerial_) {
      const int32_t length = in_.i32();
      if (length < 0 || static_cast<size_t>(length) > in_.remaining()) {
        throw DecodeError("snappy: truncated or corrupt xerial block length " + std::to_string(length));
      }
      block = in_.raw(static_cast<size_t>(length));
    } else {
      in_.skip(block.size());
      raw_done_ = true;
    }
    decode_raw_block(block, max_output_bytes_, block_);
    block_pos_ = 0;
    return true;
  }

  bool xerial_;
  Reader in_;
  size_t max_output_bytes_;
  bool raw_done_ = false;  // a raw input is one block, even an empty one (which is corrupt)
  std::vector<uint8_t> block_;
  size_t block_pos_ = 0;
};

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

std::unique_ptr<Decoder> snappy_decoder(std::span<const uint8_t> input, size_t max_output_bytes) {
  return std::make_unique<SnappyDecoder>(input, max_output_bytes);
}

}  // namespace freshet::protocol::codecs
