// lz4: the LZ4 frame format as Kafka's Java client (Lz4BlockOutputStream)
// writes it: independent 64 KiB blocks, no block or content checksum, no
// content size. Its reader decodes every block on its own, so blocks must
// stay independent.
#include <lz4frame.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "protocol/compression_codecs.h"
#include "protocol/wire.h"

namespace freshet::protocol::codecs {
namespace {

LZ4F_preferences_t kafka_preferences() {
  LZ4F_preferences_t prefs{};
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  prefs.frameInfo.contentChecksumFlag = LZ4F_noContentChecksum;
  prefs.frameInfo.blockChecksumFlag = LZ4F_noBlockChecksum;
  prefs.compressionLevel = 0;  // the fast compressor
  return prefs;
}

struct DecompressionContextDeleter {
  void operator()(LZ4F_dctx* ctx) const { LZ4F_freeDecompressionContext(ctx); }
};

}  // namespace

std::vector<uint8_t> lz4_compress(std::span<const uint8_t> input) {
  const LZ4F_preferences_t prefs = kafka_preferences();
  std::vector<uint8_t> out(LZ4F_compressFrameBound(input.size(), &prefs));
  const size_t n = LZ4F_compressFrame(out.data(), out.size(), input.data(), input.size(), &prefs);
  if (LZ4F_isError(n)) throw std::runtime_error(std::string("lz4: ") + LZ4F_getErrorName(n));
  out.resize(n);
  return out;
}

namespace {

// Decodes one or more concatenated frames; input that ends inside a frame is
// truncated.
class Lz4Decoder : public Decoder {
 public:
  explicit Lz4Decoder(std::span<const uint8_t> input) : input_(input) {
    LZ4F_dctx* raw_ctx = nullptr;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&raw_ctx, LZ4F_VERSION))) {
      throw std::runtime_error("lz4: cannot create a decompression context");
    }
    ctx_.reset(raw_ctx);
  }

  size_t read(std::span<uint8_t> out) override {
    for (;;) {
      if (in_pos_ == input_.size() && hint_ == 0) return 0;  // the last frame is complete
      size_t produced = out.size();
      size_t consumed = input_.size() - in_pos_;
      // Once the input is used up, calls without input flush what the
      // decoder held back for lack of output space.
      hint_ = LZ4F_decompress(ctx_.get(), out.data(), &produced, input_.data() + in_pos_, &consumed, nullptr);
      if (LZ4F_isError(hint_)) throw DecodeError(std::string("lz4: corrupt input: ") + LZ4F_getErrorName(hint_));
      in_pos_ += consumed;
      if (produced > 0) return produced;
      if (in_pos_ == input_.size() && hint_ != 0 && consumed == 0) throw DecodeError("lz4: truncated input");
    }
  }

 private:
  std::span<const uint8_t> input_;
  size_t in_pos_ = 0;
  size_t hint_ = 1;  // 0 once the current frame is complete and flushed
  std::unique_ptr<LZ4F_dctx, DecompressionContextDeleter> ctx_;
};

}  // namespace

std::unique_ptr<Decoder> lz4_decoder(std::span<const uint8_t> input) { return std::make_unique<Lz4Decoder>(input); }

}  // namespace freshet::protocol::codecs
