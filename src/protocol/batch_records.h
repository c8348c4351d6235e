// Record-level access to a whole RecordBatch v2: its records decompressed
// and decoded, or re-encoded with another codec. Both decompress with a cap,
// so a small batch cannot expand into unbounded memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "protocol/compression.h"
#include "protocol/record.h"

namespace freshet::protocol {

// The batch's records in their uncompressed encoding (a copy when the batch
// is not compressed). Throws DecodeError when the batch is shorter than its
// header declares, the codec is unknown or the data is corrupt, or the
// records exceed `max_uncompressed_bytes`. Does not check the CRC.
std::vector<uint8_t> uncompressed_records(std::span<const uint8_t> batch, size_t max_uncompressed_bytes);

// All records of the batch. Throws DecodeError as uncompressed_records()
// does, and when the records do not match records_count exactly (too few,
// malformed, or bytes left over). Does not check the CRC.
std::vector<Record> decode_records(std::span<const uint8_t> batch, size_t max_uncompressed_bytes);

// The same batch with its records compressed by `target` instead: offsets,
// timestamps, producer fields and flags are kept, batch_length and the CRC
// are recomputed. Used when a topic's compression.type differs from what
// the producer sent. The records are carried over byte for byte; validate
// them with decode_records() first if they come from the network.
std::vector<uint8_t> recompress_batch(std::span<const uint8_t> batch, Compression target,
                                      size_t max_uncompressed_bytes);

}  // namespace freshet::protocol
