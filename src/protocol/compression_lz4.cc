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

// Decodes one or more concatenated frames; input that ends inside a frame is
// truncated.
std::vector<uint8_t> lz4_decompress(std::span<const uint8_t> input, size_t max_output_bytes) {
  LZ4F_dctx* raw_ctx = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&raw_ctx, LZ4F_VERSION))) {
    throw std::runtime_error("lz4: cannot create a decompression context");
  }
  std::unique_ptr<LZ4F_dctx, DecompressionContextDeleter> ctx(raw_ctx);

  CappedOutput out(max_output_bytes, input.size() * 4);
  size_t in_pos = 0;
  size_t hint = 1;  // 0 once the current frame is complete
  while (in_pos < input.size()) {
    std::span<uint8_t> space = out.writable();
    size_t produced = space.size();
    size_t consumed = input.size() - in_pos;
    hint = LZ4F_decompress(ctx.get(), space.data(), &produced, input.data() + in_pos, &consumed, nullptr);
    if (LZ4F_isError(hint)) throw DecodeError(std::string("lz4: corrupt input: ") + LZ4F_getErrorName(hint));
    in_pos += consumed;
    out.commit(produced);
  }
  // Output the decoder buffered internally (it may hold back a block when
  // the output space was short) is flushed by calls without new input.
  while (hint != 0) {
    std::span<uint8_t> space = out.writable();
    size_t produced = space.size();
    size_t consumed = 0;
    hint = LZ4F_decompress(ctx.get(), space.data(), &produced, nullptr, &consumed, nullptr);
    if (LZ4F_isError(hint)) throw DecodeError(std::string("lz4: corrupt input: ") + LZ4F_getErrorName(hint));
    out.commit(produced);
    if (produced == 0 && hint != 0) throw DecodeError("lz4: truncated input");
  }
  return out.take();
}

}  // namespace freshet::protocol::codecs
