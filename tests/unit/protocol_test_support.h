// Test data the protocol and server unit tests share: every codec, random
// and hex-encoded bytes, a batch's parsed header.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/compression.h"
#include "protocol/record_batch.h"

namespace freshet::protocol::test_support {

inline constexpr size_t kMiB = 1024 * 1024;
inline constexpr Compression kCodecs[] = {Compression::None, Compression::Gzip, Compression::Snappy,
                                          Compression::Lz4, Compression::Zstd};
inline constexpr Compression kRealCodecs[] = {Compression::Gzip, Compression::Snappy, Compression::Lz4,
                                              Compression::Zstd};

// `n` bytes from a generator seeded with `seed`: the same bytes every run.
inline std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

// "0a1b..." as bytes.
inline std::vector<uint8_t> from_hex(std::string_view hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// The header of a batch the test built (a failed expectation if it does not parse).
inline RecordBatchHeader header_of(std::span<const uint8_t> batch) {
  auto h = parse_batch_header(batch);
  EXPECT_TRUE(h.has_value());
  return h.value_or(RecordBatchHeader{});
}

}  // namespace freshet::protocol::test_support
