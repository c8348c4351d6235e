// Kafka's record compression codecs, with exactly the framings Kafka clients
// produce and accept:
//   gzip   - a gzip stream (deflate with gzip header and trailer);
//   snappy - snappy-java's "xerial" framing on output; on input both the
//            xerial framing and a raw snappy block are accepted;
//   lz4    - an LZ4 frame (independent 64 KiB blocks, no checksums, as Kafka's
//            Java client writes it);
//   zstd   - a zstd frame.
// Concatenated gzip members / lz4 or zstd frames are decoded as one stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace freshet::protocol {

// The codec id stored in bits 0-2 of a RecordBatch's attributes.
enum class Compression : int8_t { None = 0, Gzip = 1, Snappy = 2, Lz4 = 3, Zstd = 4 };

// Compresses `input` with `codec` (None copies it).
std::vector<uint8_t> compress(Compression codec, std::span<const uint8_t> input);

// Decompresses `input`. Throws DecodeError when the input is corrupt or
// truncated, when the codec id is unknown, or when the output would exceed
// `max_output_bytes` (decompression bombs are stopped at the cap, not after).
std::vector<uint8_t> decompress(Compression codec, std::span<const uint8_t> input, size_t max_output_bytes);

// "none", "gzip", "snappy", "lz4", "zstd" (Kafka's compression.type values,
// minus "producer", which is a topic-level policy, not a codec).
std::optional<Compression> compression_from_name(std::string_view name);
const char* compression_name(Compression codec);

}  // namespace freshet::protocol
