#include "protocol/decompress_stream.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "protocol/compression_codecs.h"
#include "protocol/wire.h"

namespace freshet::protocol {
namespace {

// Compression::None: the input as it is.
class CopyDecoder : public codecs::Decoder {
 public:
  explicit CopyDecoder(std::span<const uint8_t> input) : input_(input) {}
  size_t read(std::span<uint8_t> out) override {
    const size_t n = std::min(out.size(), input_.size() - pos_);
    if (n == 0) return 0;  // memcpy's pointers must not be null, even for no bytes
    std::memcpy(out.data(), input_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::span<const uint8_t> input_;
  size_t pos_ = 0;
};

std::unique_ptr<codecs::Decoder> open_decoder(Compression codec, std::span<const uint8_t> input,
                                              size_t max_output_bytes) {
  switch (codec) {
    case Compression::None:
      return std::make_unique<CopyDecoder>(input);
    case Compression::Gzip:
      return codecs::gzip_decoder(input);
    case Compression::Snappy:
      return codecs::snappy_decoder(input, max_output_bytes);
    case Compression::Lz4:
      return codecs::lz4_decoder(input);
    case Compression::Zstd:
      return codecs::zstd_decoder(input, max_output_bytes);
  }
  throw DecodeError("unknown compression codec id " + std::to_string(static_cast<int>(codec)));
}

}  // namespace

DecompressStream::DecompressStream(Compression codec, std::span<const uint8_t> input, size_t max_output_bytes)
    : decoder_(open_decoder(codec, input, max_output_bytes)), max_output_bytes_(max_output_bytes) {}

DecompressStream::~DecompressStream() = default;
DecompressStream::DecompressStream(DecompressStream&&) noexcept = default;
DecompressStream& DecompressStream::operator=(DecompressStream&&) noexcept = default;

size_t DecompressStream::read(std::span<uint8_t> out) {
  if (out.empty()) throw std::invalid_argument("DecompressStream::read needs room for output");
  if (ended_) return 0;
  // At most one byte past the cap: enough to tell "ends at the cap" from
  // "goes on", without decoding further.
  const size_t allowance = max_output_bytes_ - total_bytes_;
  if (allowance < out.size() - 1) out = out.first(allowance + 1);
  const size_t n = decoder_->read(out);
  if (n == 0) {
    ended_ = true;
    return 0;
  }
  total_bytes_ += n;
  if (total_bytes_ > max_output_bytes_) {
    throw DecodeError("decompressed data exceeds the limit of " + std::to_string(max_output_bytes_) + " bytes");
  }
  return n;
}

}  // namespace freshet::protocol
