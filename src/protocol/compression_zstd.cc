// zstd: zstd frames, with or without a content size (Kafka's Java client
// streams its output, so its frames carry none), concatenated frames
// included, decoded in streaming mode.
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

class ZstdDecoder : public Decoder {
 public:
  ZstdDecoder(std::span<const uint8_t> input, size_t max_output_bytes) : in_{input.data(), input.size(), 0} {
    if (!input.empty()) {
      const unsigned long long declared = ZSTD_getFrameContentSize(input.data(), input.size());
      if (declared == ZSTD_CONTENTSIZE_ERROR) throw DecodeError("zstd: corrupt or truncated frame header");
      if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared > max_output_bytes) {
        throw DecodeError("decompressed data exceeds the limit of " + std::to_string(max_output_bytes) + " bytes");
      }
    }
    ctx_.reset(ZSTD_createDCtx());
    if (!ctx_) throw std::runtime_error("zstd: cannot create a decompression context");
    ZSTD_DCtx_setParameter(ctx_.get(), ZSTD_d_windowLogMax, kZstdMaxWindowLog);
  }

  size_t read(std::span<uint8_t> out) override {
    for (;;) {
      if (pending_ == 0 && in_.pos == in_.size) return 0;  // the last frame is complete and flushed
      ZSTD_outBuffer dst{out.data(), out.size(), 0};
      const size_t in_before = in_.pos;
      pending_ = ZSTD_decompressStream(ctx_.get(), &dst, &in_);
      if (ZSTD_isError(pending_)) throw DecodeError(std::string("zstd: corrupt input: ") + ZSTD_getErrorName(pending_));
      if (dst.pos > 0) return dst.pos;
      if (pending_ != 0 && in_.pos == in_.size && in_.pos == in_before) throw DecodeError("zstd: truncated input");
    }
  }

 private:
  ZSTD_inBuffer in_;
  size_t pending_ = 1;  // 0 once the current frame is complete and flushed
  std::unique_ptr<ZSTD_DCtx, DecompressionContextDeleter> ctx_;
};

}  // namespace

std::vector<uint8_t> zstd_compress(std::span<const uint8_t> input) {
  std::vector<uint8_t> out(ZSTD_compressBound(input.size()));
  const size_t n = ZSTD_compress(out.data(), out.size(), input.data(), input.size(), kZstdLevel);
  if (ZSTD_isError(n)) throw std::runtime_error(std::string("zstd: ") + ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

std::unique_ptr<Decoder> zstd_decoder(std::span<const uint8_t> input, size_t max_output_bytes) {
  return std::make_unique<ZstdDecoder>(input, max_output_bytes);
}

}  // namespace freshet::protocol::codecs
