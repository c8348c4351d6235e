#include "protocol/compression.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#include "protocol/compression_codecs.h"
#include "protocol/wire.h"

namespace freshet::protocol {

namespace codecs {

CappedOutput::CappedOutput(size_t cap_bytes, size_t size_hint_bytes)
    : cap_bytes_(cap_bytes), buf_(std::min(std::max<size_t>(size_hint_bytes, 1), cap_bytes) + 1) {}

std::span<uint8_t> CappedOutput::writable() {
  // One byte past the cap is the tripwire commit() checks.
  const size_t limit = cap_bytes_ == std::numeric_limits<size_t>::max() ? cap_bytes_ : cap_bytes_ + 1;
  if (size_ == buf_.size()) buf_.resize(std::min(limit, std::max(buf_.size() * 2, size_t{4096})));
  return std::span<uint8_t>(buf_).subspan(size_);
}

void CappedOutput::commit(size_t n_bytes) {
  size_ += n_bytes;
  if (size_ > cap_bytes_) {
    throw DecodeError("decompressed data exceeds the limit of " + std::to_string(cap_bytes_) + " bytes");
  }
}

std::vector<uint8_t> CappedOutput::take() {
  buf_.resize(size_);
  return std::move(buf_);
}

}  // namespace codecs

std::vector<uint8_t> compress(Compression codec, std::span<const uint8_t> input) {
  switch (codec) {
    case Compression::None:
      return {input.begin(), input.end()};
    case Compression::Gzip:
      return codecs::gzip_compress(input);
    case Compression::Snappy:
      return codecs::snappy_compress(input);
    case Compression::Lz4:
      return codecs::lz4_compress(input);
    case Compression::Zstd:
      return codecs::zstd_compress(input);
  }
  throw std::invalid_argument("unknown compression codec " + std::to_string(static_cast<int>(codec)));
}

std::vector<uint8_t> decompress(Compression codec, std::span<const uint8_t> input, size_t max_output_bytes) {
  switch (codec) {
    case Compression::None:
      if (input.size() > max_output_bytes) {
        throw DecodeError("uncompressed data exceeds the limit of " + std::to_string(max_output_bytes) + " bytes");
      }
      return {input.begin(), input.end()};
    case Compression::Gzip:
      return codecs::gzip_decompress(input, max_output_bytes);
    case Compression::Snappy:
      return codecs::snappy_decompress(input, max_output_bytes);
    case Compression::Lz4:
      return codecs::lz4_decompress(input, max_output_bytes);
    case Compression::Zstd:
      return codecs::zstd_decompress(input, max_output_bytes);
  }
  throw DecodeError("unknown compression codec id " + std::to_string(static_cast<int>(codec)));
}

namespace {
constexpr Compression kAllCodecs[] = {Compression::None, Compression::Gzip, Compression::Snappy, Compression::Lz4,
                                      Compression::Zstd};
}  // namespace

std::optional<Compression> compression_from_name(std::string_view name) {
  for (Compression codec : kAllCodecs) {
    if (name == compression_name(codec)) return codec;
  }
  return std::nullopt;
}

const char* compression_name(Compression codec) {
  switch (codec) {
    case Compression::None:
      return "none";
    case Compression::Gzip:
      return "gzip";
    case Compression::Snappy:
      return "snappy";
    case Compression::Lz4:
      return "lz4";
    case Compression::Zstd:
      return "zstd";
  }
  return "unknown";
}

}  // namespace freshet::protocol
