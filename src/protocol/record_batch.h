// RecordBatch v2 (magic 2), the unit Kafka produces, stores and fetches:
// a 61-byte header followed by `records_count` records, compressed as a
// whole when the attributes name a codec. See Kafka's "Message Format" docs.
//
//   offset  size  field
//        0     8  base_offset
//        8     4  batch_length (bytes after this field)
//       12     4  partition_leader_epoch
//       16     1  magic (2)
//       17     4  crc (CRC-32C of bytes 21..end)
//       21     2  attributes
//       23     4  last_offset_delta
//       27     8  base_timestamp
//       35     8  max_timestamp
//       43     8  producer_id
//       51     2  producer_epoch
//       53     4  base_sequence
//       57     4  records_count
//       61        records
//
// These functions work on the bytes in place; decoding records lives in
// batch_records.h, building batches in record_batch_builder.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "protocol/compression.h"

namespace freshet::protocol {

constexpr size_t kRecordBatchHeaderSize = 61;
// base_offset + batch_length: the part of the header batch_length excludes.
constexpr size_t kBatchLogOverhead = 12;
constexpr size_t kBatchCrcOffset = 17;
constexpr size_t kBatchAttributesOffset = 21;
constexpr int8_t kRecordBatchMagic = 2;

// Bits of RecordBatchHeader::attributes.
constexpr int16_t kCompressionCodecMask = 0x07;
constexpr int16_t kLogAppendTimeBit = 0x08;
constexpr int16_t kTransactionalBit = 0x10;
constexpr int16_t kControlBit = 0x20;
constexpr int16_t kDeleteHorizonBit = 0x40;

// "No value" markers Kafka uses in producer fields and timestamps.
constexpr int64_t kNoProducerId = -1;
constexpr int16_t kNoProducerEpoch = -1;
constexpr int32_t kNoSequence = -1;
constexpr int32_t kNoPartitionLeaderEpoch = -1;
constexpr int64_t kNoTimestamp = -1;

struct RecordBatchHeader {  // fields in wire order
  int64_t base_offset = 0;
  int32_t batch_length = 0;
  int32_t partition_leader_epoch = kNoPartitionLeaderEpoch;
  int8_t magic = kRecordBatchMagic;
  uint32_t crc = 0;
  int16_t attributes = 0;
  int32_t last_offset_delta = 0;
  int64_t base_timestamp = kNoTimestamp;
  int64_t max_timestamp = kNoTimestamp;
  int64_t producer_id = kNoProducerId;
  int16_t producer_epoch = kNoProducerEpoch;
  int32_t base_sequence = kNoSequence;
  int32_t records_count = 0;

  // The codec id as stored; ids 5-7 are not valid codecs (decompress()
  // rejects them).
  Compression compression() const { return static_cast<Compression>(attributes & kCompressionCodecMask); }
  bool log_append_time() const { return (attributes & kLogAppendTimeBit) != 0; }
  bool is_transactional() const { return (attributes & kTransactionalBit) != 0; }
  bool is_control() const { return (attributes & kControlBit) != 0; }
  // When set, base_timestamp holds the compaction delete horizon.
  bool has_delete_horizon() const { return (attributes & kDeleteHorizonBit) != 0; }
  // Wraps around as Java's long does: a hostile base_offset is not undefined behaviour.
  int64_t last_offset() const {
    return static_cast<int64_t>(static_cast<uint64_t>(base_offset) + static_cast<uint64_t>(int64_t{last_offset_delta}));
  }
  // Bytes of the whole batch: base_offset and batch_length plus the rest. A
  // negative batch_length (corrupt) yields a size above 4 GiB, which no
  // buffer holds, rather than wrapping around to a small one.
  size_t total_size() const { return kBatchLogOverhead + static_cast<uint32_t>(batch_length); }

  friend bool operator==(const RecordBatchHeader&, const RecordBatchHeader&) = default;
};

// Parses the header at the start of `bytes`; nullopt when fewer than 61 bytes
// are given. Checks neither the magic, the lengths nor the CRC.
std::optional<RecordBatchHeader> parse_batch_header(std::span<const uint8_t> bytes);

// True when `batch` holds a whole batch (batch_length consistent with its
// size) whose stored CRC matches the CRC-32C of attributes..end.
bool batch_crc_valid(std::span<const uint8_t> batch);

// The CRC-32C a batch should carry: over bytes 21..total_size(). Requires a
// whole batch.
uint32_t compute_batch_crc(std::span<const uint8_t> batch);

// In-place header rewrites the log does on append. The CRC covers neither
// field, so the batch stays valid.
void set_base_offset(std::span<uint8_t> batch, int64_t base_offset);
void set_partition_leader_epoch(std::span<uint8_t> batch, int32_t epoch);

// Marks the batch LogAppendTime with `timestamp_ms` as max_timestamp (what
// Kafka does for topics with message.timestamp.type=LogAppendTime; readers
// then report that time for every record), and recomputes the CRC.
void set_log_append_time(std::span<uint8_t> batch, int64_t timestamp_ms);
// Marks the batch CreateTime with `max_timestamp_ms` as max_timestamp (what
// Kafka does to a produced batch whose header disagrees with its records'
// timestamps), and recomputes the CRC.
void set_create_time(std::span<uint8_t> batch, int64_t max_timestamp_ms);

// Serializes a whole batch: `header` followed by `records` (the uncompressed
// record encodings), compressed with the codec named by header.attributes.
// batch_length and crc are computed; magic is forced to 2.
std::vector<uint8_t> encode_batch(const RecordBatchHeader& header, std::span<const uint8_t> records);

}  // namespace freshet::protocol
