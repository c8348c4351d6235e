// Control records: the single record of a control batch (attributes bit 5),
// which clients never hand to applications. Transaction markers are the ones
// the broker writes itself:
//   key   = int16 version (0) + int16 type (0 abort, 1 commit, ...)
//   value = int16 version (0) + int32 coordinator epoch   (end-txn markers)
// A marker batch is transactional, uncompressed, carries the producer's id
// and epoch and no sequence.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "protocol/record.h"

namespace freshet::protocol {

enum class ControlRecordType : int16_t {
  kAbort = 0,
  kCommit = 1,
  // KRaft's own control records, kept in the metadata log.
  kLeaderChange = 2,
  kSnapshotHeader = 3,
  kSnapshotFooter = 4,
  kKraftVersion = 5,
  kKraftVoters = 6,
  kUnknown = -1,  // a type this code does not know; readers skip it
};

// An end-transaction marker: the outcome of a transaction on one partition.
struct EndTxnMarker {
  ControlRecordType type = ControlRecordType::kCommit;  // kCommit or kAbort
  int32_t coordinator_epoch = 0;
  friend bool operator==(const EndTxnMarker&, const EndTxnMarker&) = default;
};

std::vector<uint8_t> control_record_key(ControlRecordType type);

// The type a control record's key names (kUnknown for types not listed
// above). Throws DecodeError for a key shorter than 4 bytes or with a
// negative version, as Kafka does; newer versions are read as version 0.
ControlRecordType parse_control_record_type(std::span<const uint8_t> key);

// The marker a control record holds. Throws DecodeError when the record is
// not an abort/commit marker or its value is malformed.
EndTxnMarker parse_end_txn_marker(const Record& record);

// A whole marker batch with one record at `base_offset`, ready to append
// (the log still assigns the final offset and leader epoch).
std::vector<uint8_t> build_end_txn_marker_batch(const EndTxnMarker& marker, int64_t producer_id,
                                                int16_t producer_epoch, int64_t timestamp_ms,
                                                int64_t base_offset = 0);

}  // namespace freshet::protocol
