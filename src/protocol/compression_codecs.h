// Internal to compression.cc, decompress_stream.cc and the
// compression_<codec>.cc files: one compressor and one streaming decoder per
// codec.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace freshet::protocol::codecs {

// A codec's decoder over input given whole up front, read piece by piece
// into the caller's buffer. Memory is the codec's own state (zlib's 32 KiB
// window, an lz4 block, a zstd window of at most kZstdMaxWindowLog, one
// snappy block), never the whole output.
class Decoder {
 public:
  virtual ~Decoder() = default;
  // Writes the next decompressed bytes into `out` (not empty) and returns
  // how many: at least one while output is left, 0 once the input has been
  // decoded completely. Throws DecodeError for corrupt or truncated input.
  virtual size_t read(std::span<uint8_t> out) = 0;
};

// zstd frames whose window is larger (levels 20-22 in streaming mode) are
// refused: a frame picks its window size, and the decoder allocates it.
constexpr int kZstdMaxWindowLog = 24;  // 16 MiB

std::vector<uint8_t> gzip_compress(std::span<const uint8_t> input);
std::unique_ptr<Decoder> gzip_decoder(std::span<const uint8_t> input);
std::vector<uint8_t> snappy_compress(std::span<const uint8_t> input);
// Snappy blocks are decoded whole: one declaring more than
// `max_output_bytes` is refused before anything is allocated for it.
std::unique_ptr<Decoder> snappy_decoder(std::span<const uint8_t> input, size_t max_output_bytes);
std::vector<uint8_t> lz4_compress(std::span<const uint8_t> input);
std::unique_ptr<Decoder> lz4_decoder(std::span<const uint8_t> input);
std::vector<uint8_t> zstd_compress(std::span<const uint8_t> input);
// A frame declaring a content size above `max_output_bytes` is refused
// before it is decoded.
std::unique_ptr<Decoder> zstd_decoder(std::span<const uint8_t> input, size_t max_output_bytes);

}  // namespace freshet::protocol::codecs
