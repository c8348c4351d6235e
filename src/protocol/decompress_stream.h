// Decompresses a record payload piece by piece into the caller's buffers,
// so that a batch's records can be read (and a decompression bomb stopped)
// without ever holding the whole payload uncompressed. decompress() in
// compression.h is this stream read into one buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "protocol/compression.h"

namespace freshet::protocol {

namespace codecs {
class Decoder;
}  // namespace codecs

class DecompressStream {
 public:
  // `input` must outlive the stream. Throws DecodeError for a codec id that
  // is not one of Compression's (5-7), and for input whose header already
  // shows it is corrupt or larger than `max_output_bytes`.
  DecompressStream(Compression codec, std::span<const uint8_t> input, size_t max_output_bytes);
  ~DecompressStream();
  DecompressStream(DecompressStream&&) noexcept;
  DecompressStream& operator=(DecompressStream&&) noexcept;

  // Writes the next decompressed bytes into `out` (not empty) and returns
  // how many: at least one while output is left, 0 once the stream has
  // ended (and on every call after that). Throws DecodeError when the input
  // is corrupt or truncated, and as soon as the output passes
  // `max_output_bytes` (having decoded at most one byte more).
  size_t read(std::span<uint8_t> out);

  // Decompressed bytes returned so far.
  size_t total_bytes() const { return total_bytes_; }

 private:
  std::unique_ptr<codecs::Decoder> decoder_;
  size_t max_output_bytes_;
  size_t total_bytes_ = 0;
  bool ended_ = false;
};

}  // namespace freshet::protocol
