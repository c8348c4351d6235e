// zstd: zstd frames. Kafka's Java client streams its output, so its frames
// carry no content size; those (and concatenated frames) are decoded in
// streaming mode, a single frame with a content size in one shot into a
// buffer of that size.
#include <zstd.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "protocol/compression_codecs.h"
#include "protocol/wire.h"

namespace freshet::protocol::codecs {
namespace {

constexpr int kZstdLevel = 3;  // Kafka's default compression.zstd.level

struct DecompressionContextDeleter {
  void operator()(ZSTD_DCtx* ctx) const { ZSTD_freeDCtx(ctx); }
};

std::string too_large(size_t max_output_bytes) {
  return "decompressed data exceeds the limit of " + std::to_string(max_output_bytes) + " bytes";
}

std::vector<uint8_t> decompress_streaming(std::span<const uint8_t> input, size_t max_output_bytes) {
  std::unique_ptr<ZSTD_DCtx, DecompressionContextDeleter> ctx(ZSTD_createDCtx());
  if (!ctx) throw std::runtime_error("zstd: cannot create a decompression context");

  CappedOutput out(max_output_bytes, input.size() * 4);
  ZSTD_inBuffer in{input.data(), input.size(), 0};
  size_t pending = 1;  // 0 once the current frame is complete and flushed
  while (in.pos < in.size || pending != 0) {
    std::span<uint8_t> space = out.writable();
    ZSTD_outBuffer dst{space.data(), space.size(), 0};
    const size_t in_before = in.pos;
    pending = ZSTD_decompressStream(ctx.get(), &dst, &in);
    if (ZSTD_isError(pending)) throw DecodeError(std::string("zstd: corrupt input: ") + ZSTD_getErrorName(pending));
    out.commit(dst.pos);
    // Input exhausted mid-frame, and the output space was not what held it up.
    if (pending != 0 && in.pos == in.size && in.pos == in_before && dst.pos < dst.size) {
      throw DecodeError("zstd: truncated input");
    }
  }
  return out.take();
}

}  // namespace

std::vector<uint8_t> zstd_compress(std::span<const uint8_t> input) {
  std::vector<uint8_t> out(ZSTD_compressBound(input.size()));
  const size_t n = ZSTD_compress(out.data(), out.size(), input.data(), input.size(), kZstdLevel);
  if (ZSTD_isError(n)) throw std::runtime_error(std::string("zstd: ") + ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

std::vector<uint8_t> zstd_decompress(std::span<const uint8_t> input, size_t max_output_bytes) {
  if (input.empty()) throw DecodeError("zstd: empty input");
  const unsigned long long declared = ZSTD_getFrameContentSize(input.data(), input.size());
  if (declared == ZSTD_CONTENTSIZE_ERROR) throw DecodeError("zstd: corrupt or truncated frame header");
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared > max_output_bytes) {
    throw DecodeError(too_large(max_output_bytes));
  }
  // One shot only for a single frame that declares its size.
  if (declared == ZSTD_CONTENTSIZE_UNKNOWN || ZSTD_findFrameCompressedSize(input.data(), input.size()) != input.size()) {
    return decompress_streaming(input, max_output_bytes);
  }

  std::vector<uint8_t> out(declared);
  const size_t n = ZSTD_decompress(out.data(), out.size(), input.data(), input.size());
  if (ZSTD_isError(n)) throw DecodeError(std::string("zstd: corrupt input: ") + ZSTD_getErrorName(n));
  if (n != declared) throw DecodeError("zstd: frame content size mismatch");
  return out;
}

}  // namespace freshet::protocol::codecs
