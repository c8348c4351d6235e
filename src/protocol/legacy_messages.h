// Kafka's message formats v0 and v1 (magic 0 and 1, the "message set" of
// clients from before Kafka 0.11), and their conversion to and from
// RecordBatch v2, as Kafka 3.x converts them: up on Produce v0-2, down on
// Fetch v0-3 (v0-1 read magic 0, v2-3 magic 1).
//
// A message set is entries of: offset int64, size int32, then the message:
// crc uint32 (CRC-32 IEEE of what follows), magic int8, attributes int8
// (bits 0-2 codec, bit 3 LogAppendTime in v1), timestamp int64 (v1 only),
// key bytes, value bytes (int32 length, -1 for null). A compressed message
// (a "wrapper") carries a whole inner message set, compressed, as its value;
// in v1 the inner offsets are relative (0..n-1) and the wrapper's offset is
// the last inner one's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "protocol/compression.h"
#include "protocol/wire.h"

namespace freshet::protocol {

// Whether `record_set` starts with a magic 0 or 1 message (byte 16 of an
// entry is its magic, as it is in a v2 batch).
bool is_legacy_message_set(std::span<const uint8_t> record_set);

// A Produce v0-2 record set as one v2 batch at base offset 0: every message
// (compressed wrappers unpacked) becomes a record in order; magic 1
// timestamps are kept, magic 0 messages get none (-1), as Kafka's
// up-conversion does; the batch keeps the messages' codec. Throws
// DecodeError for a message whose CRC, magic, length or compressed contents
// are wrong, for mixed magics, or when the records would exceed
// `max_uncompressed_bytes`.
std::vector<uint8_t> upconvert_message_set(std::span<const uint8_t> record_set, size_t max_uncompressed_bytes);

// What Fetch v0-3 gets instead of `batches` (whole v2 batches): the same
// records as a message set of `magic` (0 or 1), control batches left out,
// none below `first_offset`. An uncompressed batch becomes one message per
// record at its offset; a compressed one a wrapper with its codec. nullopt
// when a batch is zstd-compressed, which the old formats cannot carry
// (Kafka answers UNSUPPORTED_COMPRESSION_TYPE). Throws DecodeError for a
// malformed batch.
std::optional<std::vector<uint8_t>> downconvert_batches(std::span<const uint8_t> batches, int8_t magic,
                                                        int64_t first_offset, size_t max_uncompressed_bytes);

}  // namespace freshet::protocol
