// gzip: what Java's GZIPOutputStream writes and GZIPInputStream reads.
#include <zlib.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>

#include "protocol/compression_codecs.h"
#include "protocol/wire.h"

namespace freshet::protocol::codecs {
namespace {

constexpr int kGzipWindowBits = 15 + 16;  // 32K window, gzip wrapper
// zlib counts in uInt; large spans are fed in pieces of at most this much.
constexpr size_t kMaxZlibChunk = std::numeric_limits<uInt>::max();

uInt chunk_size(size_t n) { return static_cast<uInt>(std::min(n, kMaxZlibChunk)); }

}  // namespace

std::vector<uint8_t> gzip_compress(std::span<const uint8_t> input) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, kGzipWindowBits, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("gzip: deflateInit2 failed");
  }
  std::vector<uint8_t> out(deflateBound(&zs, static_cast<uLong>(input.size())));
  size_t in_pos = 0;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (zs.avail_out == 0 && zs.total_out == out.size()) out.resize(out.size() * 2);
    zs.next_in = const_cast<Bytef*>(input.data() + in_pos);
    zs.avail_in = chunk_size(input.size() - in_pos);
    zs.next_out = out.data() + zs.total_out;
    zs.avail_out = chunk_size(out.size() - zs.total_out);
    const uInt fed = zs.avail_in;
    const bool last = in_pos + fed == input.size();
    rc = deflate(&zs, last ? Z_FINISH : Z_NO_FLUSH);
    in_pos += fed - zs.avail_in;
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
      deflateEnd(&zs);
      throw std::runtime_error("gzip: deflate failed");
    }
  }
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

namespace {

// Decodes one or more concatenated gzip members (Java's GZIPInputStream
// reads concatenated members too); anything else after a member is an error.
class GzipDecoder : public Decoder {
 public:
  explicit GzipDecoder(std::span<const uint8_t> input) : input_(input) {
    if (inflateInit2(&zs_, kGzipWindowBits) != Z_OK) throw std::runtime_error("gzip: inflateInit2 failed");
  }
  ~GzipDecoder() override { inflateEnd(&zs_); }
  GzipDecoder(const GzipDecoder&) = delete;
  GzipDecoder& operator=(const GzipDecoder&) = delete;

  size_t read(std::span<uint8_t> out) override {
    for (;;) {
      if (member_done_) {
        if (in_pos_ == input_.size()) return 0;
        inflateReset(&zs_);
        member_done_ = false;
      }
      zs_.next_in = const_cast<Bytef*>(input_.data() + in_pos_);
      zs_.avail_in = chunk_size(input_.size() - in_pos_);
      zs_.next_out = out.data();
      zs_.avail_out = chunk_size(out.size());
      const uInt fed = zs_.avail_in;
      const uInt room = zs_.avail_out;
      const int rc = inflate(&zs_, Z_NO_FLUSH);
      in_pos_ += fed - zs_.avail_in;
      if (rc == Z_STREAM_END) {
        member_done_ = true;
      } else if (rc == Z_BUF_ERROR && in_pos_ == input_.size()) {
        throw DecodeError("gzip: truncated input");
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        throw DecodeError(std::string("gzip: corrupt input: ") + (zs_.msg ? zs_.msg : "inflate failed"));
      }
      if (const size_t produced = room - zs_.avail_out; produced > 0) return produced;
    }
  }

 private:
  std::span<const uint8_t> input_;
  size_t in_pos_ = 0;
  bool member_done_ = false;
  z_stream zs_{};
};

}  // namespace

std::unique_ptr<Decoder> gzip_decoder(std::span<const uint8_t> input) { return std::make_unique<GzipDecoder>(input); }

}  // namespace freshet::protocol::codecs
