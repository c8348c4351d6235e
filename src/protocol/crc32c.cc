#include "protocol/crc32c.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace freshet::protocol {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the 8-byte loads below assume a little-endian host");

constexpr uint32_t kPolynomial = 0x82F63B78;  // Castagnoli, bit-reflected

// kTables[0] is the classic byte-at-a-time table; kTables[k][b] is the CRC
// register after byte b followed by k zero bytes, which lets the software
// path fold 8 input bytes per step (slicing-by-8).
using SliceTables = std::array<std::array<uint32_t, 256>, 8>;

constexpr SliceTables make_slice_tables() {
  SliceTables t{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t crc = b;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1) ? kPolynomial : 0);
    t[0][b] = crc;
  }
  for (size_t k = 1; k < t.size(); ++k) {
    for (uint32_t b = 0; b < 256; ++b) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xFF];
  }
  return t;
}

constexpr SliceTables kTables = make_slice_tables();

uint64_t load_u64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// The CRC register update without the initial/final inversion ("raw"), so
// that raw(s, X) is linear in s; both paths work on raw registers.
uint32_t software_raw(uint32_t crc, const uint8_t* p, size_t n) {
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t word = load_u64(p) ^ crc;
    auto lo = static_cast<uint32_t>(word);
    auto hi = static_cast<uint32_t>(word >> 32);
    crc = kTables[7][lo & 0xFF] ^ kTables[6][(lo >> 8) & 0xFF] ^ kTables[5][(lo >> 16) & 0xFF] ^
          kTables[4][lo >> 24] ^ kTables[3][hi & 0xFF] ^ kTables[2][(hi >> 8) & 0xFF] ^
          kTables[1][(hi >> 16) & 0xFF] ^ kTables[0][hi >> 24];
  }
  for (; n > 0; ++p, --n) crc = (crc >> 8) ^ kTables[0][(crc ^ *p) & 0xFF];
  return crc;
}

#if defined(__x86_64__)

// The linear map "append `block_bytes` zero bytes" on a raw CRC register,
// tabulated per input byte. It joins CRCs computed over adjacent blocks:
// raw(s, A ++ B) == shift(raw(s, A)) ^ raw(0, B) when |B| == block_bytes.
class ZeroShift {
 public:
  explicit ZeroShift(size_t block_bytes) : block_bytes_(block_bytes) {
    static constexpr std::array<uint8_t, 4096> kZeros{};
    std::array<uint32_t, 32> bit_images{};
    for (int bit = 0; bit < 32; ++bit) {
      uint32_t crc = uint32_t{1} << bit;
      for (size_t left = block_bytes; left > 0;) {
        size_t n = std::min(left, kZeros.size());
        crc = software_raw(crc, kZeros.data(), n);
        left -= n;
      }
      bit_images[bit] = crc;
    }
    for (int byte = 0; byte < 4; ++byte) {
      for (uint32_t b = 0; b < 256; ++b) {
        uint32_t image = 0;
        for (int bit = 0; bit < 8; ++bit) {
          if (b & (1u << bit)) image ^= bit_images[byte * 8 + bit];
        }
        table_[byte][b] = image;
      }
    }
  }

  size_t block_bytes() const { return block_bytes_; }

  uint32_t apply(uint32_t crc) const {
    return table_[0][crc & 0xFF] ^ table_[1][(crc >> 8) & 0xFF] ^ table_[2][(crc >> 16) & 0xFF] ^
           table_[3][crc >> 24];
  }

 private:
  size_t block_bytes_;
  std::array<std::array<uint32_t, 256>, 4> table_{};
};

// Consumes as many runs of three adjacent `shift.block_bytes()` blocks as fit,
// computing the three blocks' CRCs as independent instruction streams (the
// crc32 instruction has a latency of ~3 cycles but a throughput of 1/cycle).
__attribute__((target("sse4.2"))) uint32_t hardware_three_way(uint32_t crc, const uint8_t*& p, size_t& n,
                                                              const ZeroShift& shift) {
  const size_t block = shift.block_bytes();
  assert(block % 8 == 0);
  while (n >= 3 * block) {
    uint64_t crc0 = crc, crc1 = 0, crc2 = 0;
    for (const uint8_t* end = p + block; p < end; p += 8) {
      crc0 = _mm_crc32_u64(crc0, load_u64(p));
      crc1 = _mm_crc32_u64(crc1, load_u64(p + block));
      crc2 = _mm_crc32_u64(crc2, load_u64(p + 2 * block));
    }
    crc = shift.apply(shift.apply(static_cast<uint32_t>(crc0)) ^ static_cast<uint32_t>(crc1)) ^
          static_cast<uint32_t>(crc2);
    p += 2 * block;
    n -= 3 * block;
  }
  return crc;
}

__attribute__((target("sse4.2"))) uint32_t hardware_raw(uint32_t crc, const uint8_t* p, size_t n) {
  static const ZeroShift kLongShift(8192);
  static const ZeroShift kShortShift(256);
  crc = hardware_three_way(crc, p, n, kLongShift);
  crc = hardware_three_way(crc, p, n, kShortShift);
  uint64_t crc64 = crc;
  for (; n >= 8; p += 8, n -= 8) crc64 = _mm_crc32_u64(crc64, load_u64(p));
  crc = static_cast<uint32_t>(crc64);
  for (; n > 0; ++p, --n) crc = _mm_crc32_u8(crc, *p);
  return crc;
}

#endif  // __x86_64__

}  // namespace

uint32_t crc32c_software(std::span<const uint8_t> data, uint32_t init) {
  return ~software_raw(~init, data.data(), data.size());
}

bool crc32c_hardware_available() {
#if defined(__x86_64__)
  static const bool kAvailable = __builtin_cpu_supports("sse4.2");
  return kAvailable;
#else
  return false;
#endif
}

uint32_t crc32c_hardware(std::span<const uint8_t> data, uint32_t init) {
#if defined(__x86_64__)
  assert(crc32c_hardware_available());
  return ~hardware_raw(~init, data.data(), data.size());
#else
  return crc32c_software(data, init);
#endif
}

uint32_t crc32c(std::span<const uint8_t> data, uint32_t init) {
  return crc32c_hardware_available() ? crc32c_hardware(data, init) : crc32c_software(data, init);
}

}  // namespace freshet::protocol
