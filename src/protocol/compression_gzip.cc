// gzip: what Java's GZIPOutputStream writes and GZIPInputStream reads.
#include <zlib.h>

#include <algorithm>
#include <limits>
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

// Decodes one or more concatenated gzip members (Java's GZIPInputStream
// reads concatenated members too); anything else after a member is an error.
std::vector<uint8_t> gzip_decompress(std::span<const uint8_t> input, size_t max_output_bytes) {
  z_stream zs{};
  if (inflateInit2(&zs, kGzipWindowBits) != Z_OK) throw std::runtime_error("gzip: inflateInit2 failed");
  struct Guard {
    z_stream* zs;
    ~Guard() { inflateEnd(zs); }
  } guard{&zs};

  CappedOutput out(max_output_bytes, input.size() * 4);
  size_t in_pos = 0;
  bool member_done = false;
  while (!(member_done && in_pos == input.size())) {
    if (member_done) {
      inflateReset(&zs);
      member_done = false;
    }
    std::span<uint8_t> space = out.writable();
    zs.next_in = const_cast<Bytef*>(input.data() + in_pos);
    zs.avail_in = chunk_size(input.size() - in_pos);
    zs.next_out = space.data();
    zs.avail_out = chunk_size(space.size());
    const uInt fed = zs.avail_in;
    const uInt room = zs.avail_out;
    const int rc = inflate(&zs, Z_NO_FLUSH);
    in_pos += fed - zs.avail_in;
    out.commit(room - zs.avail_out);
    if (rc == Z_STREAM_END) {
      member_done = true;
    } else if (rc == Z_BUF_ERROR && in_pos == input.size()) {
      throw DecodeError("gzip: truncated input");
    } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
      throw DecodeError(std::string("gzip: corrupt input: ") + (zs.msg ? zs.msg : "inflate failed"));
    }
  }
  return out.take();
}

}  // namespace freshet::protocol::codecs
