#include "protocol/compression.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "protocol/compression_codecs.h"
#include "protocol/decompress_stream.h"
#include "protocol/wire.h"

namespace freshet::protocol {

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
  DecompressStream stream(codec, input, max_output_bytes);
  // The stream stops one byte past the cap: the buffer, sized for a typical
  // ratio and grown by doubling, never needs more than that.
  const size_t limit = max_output_bytes == SIZE_MAX ? SIZE_MAX : max_output_bytes + 1;
  const size_t ratio = codec == Compression::None ? 1 : 4;
  std::vector<uint8_t> out(std::min(limit, std::max(input.size() * ratio, size_t{4096})));
  size_t size = 0;
  for (;;) {
    if (size == out.size()) out.resize(std::min(limit, size * 2));
    const size_t n = stream.read(std::span<uint8_t>(out).subspan(size));
    if (n == 0) break;
    size += n;
  }
  out.resize(size);
  return out;
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
