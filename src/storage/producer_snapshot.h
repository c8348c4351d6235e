// Producer state snapshots, `<20-digit offset>.snapshot`: the producer table
// of a partition as it was when the log ended at that offset, in Kafka's
// ProducerSnapshot format (version 1, big-endian, not flexible):
//
//   int16  version (1)
//   uint32 crc      CRC-32C of everything after this field
//   int32  count, then `count` entries of 46 bytes:
//     int64 producer_id, int16 epoch, int32 last_sequence, int64 last_offset,
//     int32 offset_delta, int64 timestamp, int32 coordinator_epoch,
//     int64 current_txn_first_offset
//
// Kafka keeps only each producer's last batch here (last_offset -1: none).
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <vector>

namespace freshet::storage {

struct ProducerSnapshotEntry {
  int64_t producer_id;
  int16_t producer_epoch;
  int32_t last_sequence;
  int64_t last_offset;   // of the last batch; -1 when none is remembered
  int32_t offset_delta;  // last_offset - the batch's first offset
  int64_t timestamp;     // the producer's last timestamp
  int32_t coordinator_epoch;
  int64_t current_txn_first_offset;  // -1: no ongoing transaction
  friend bool operator==(const ProducerSnapshotEntry&, const ProducerSnapshotEntry&) = default;
};

// A snapshot whose bytes cannot be trusted (bad version, size or CRC).
class CorruptSnapshotError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::vector<uint8_t> encode_producer_snapshot(std::span<const ProducerSnapshotEntry> entries);
// Throws CorruptSnapshotError.
std::vector<ProducerSnapshotEntry> decode_producer_snapshot(std::span<const uint8_t> bytes);

// Writes the snapshot atomically and durably except for its directory entry
// (<path>.tmp, fsync, rename; the caller syncs the directory). Throws StorageError.
void write_producer_snapshot(const std::filesystem::path& path, std::span<const ProducerSnapshotEntry> entries);
// Throws CorruptSnapshotError, or StorageError when it cannot be read.
std::vector<ProducerSnapshotEntry> read_producer_snapshot(const std::filesystem::path& path);

// The offsets of the `.snapshot` files in `dir`, ascending. Throws StorageError.
std::vector<int64_t> list_producer_snapshots(const std::filesystem::path& dir);

}  // namespace freshet::storage
