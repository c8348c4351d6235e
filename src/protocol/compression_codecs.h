// Internal to compression.cc and the compression_<codec>.cc files: one
// compress/decompress pair per codec, and the capped output buffer the
// streaming decoders share.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace freshet::protocol::codecs {

// A growable output buffer for streaming decoders, holding at most
// `cap_bytes`. Decoders write into writable() and commit() what they wrote.
// writable() always offers one byte beyond the cap, so a decoder that has
// more output than the cap allows is caught by commit(), which throws
// DecodeError, while one that ends exactly at the cap is not.
class CappedOutput {
 public:
  CappedOutput(size_t cap_bytes, size_t size_hint_bytes);

  // Free space (at least one byte), growing the buffer as needed.
  std::span<uint8_t> writable();
  void commit(size_t n_bytes);
  size_t size() const { return size_; }
  std::vector<uint8_t> take();

 private:
  size_t cap_bytes_;
  size_t size_ = 0;
  std::vector<uint8_t> buf_;
};

std::vector<uint8_t> gzip_compress(std::span<const uint8_t> input);
std::vector<uint8_t> gzip_decompress(std::span<const uint8_t> input, size_t max_output_bytes);
std::vector<uint8_t> snappy_compress(std::span<const uint8_t> input);
std::vector<uint8_t> snappy_decompress(std::span<const uint8_t> input, size_t max_output_bytes);
std::vector<uint8_t> lz4_compress(std::span<const uint8_t> input);
std::vector<uint8_t> lz4_decompress(std::span<const uint8_t> input, size_t max_output_bytes);
std::vector<uint8_t> zstd_compress(std::span<const uint8_t> input);
std::vector<uint8_t> zstd_decompress(std::span<const uint8_t> input, size_t max_output_bytes);

}  // namespace freshet::protocol::codecs
