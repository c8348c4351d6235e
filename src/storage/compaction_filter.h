// What log compaction keeps of one stored batch: LogCleaner's record rules
// applied the way Kafka's MemoryRecords.filterTo applies them, given the
// offset of every key's latest record in the range being cleaned. Offsets
// never change: a rewritten batch keeps its base offset, its last offset
// (so that its producer's last sequence survives) and its producer fields,
// with gaps where records went.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "protocol/record_batch.h"
#include "protocol/record_scanner.h"
#include "storage/offset_map.h"

namespace freshet::storage {

struct CompactionContext {
  const OffsetMap* latest = nullptr;  // key -> offset of its latest record
  int64_t now_ms = 0;                 // wall-clock time, within +-2^61
  // delete.retention.ms: a tombstone kept by a cleaning stays this long
  // (its batch carries the horizon, KIP-534), and goes with the first
  // cleaning after it.
  int64_t delete_retention_ms = 86400000;
  protocol::RecordScanLimits limits;
};

struct CompactedBatch {
  enum class Fate {
    kKeep,     // the original bytes, unchanged
    kRewrite,  // `bytes`, a smaller batch (possibly of no records)
    kDrop,     // nothing of it
  };
  Fate fate = Fate::kKeep;
  std::vector<uint8_t> bytes;
  int32_t records_kept = 0;
};

// A data batch (not a control batch) of the compacted log. A record is kept
// when its offset is beyond the map (not yet seen by this cleaning) or it is
// its key's latest; a record without a key never is; a tombstone (null
// value) is kept until its batch's delete horizon has passed, and a batch
// keeping one for the first time gets the horizon now + delete.retention.ms.
// `aborted`: the batch belongs to an aborted transaction, nothing of it is
// kept. `keep_if_empty`: the batch is its producer's last in the log, so
// that its header (sequence, epoch) stays for the producer state even when
// no record does. Throws protocol::DecodeError for malformed records and
// for offsets or timestamps no valid batch has (deltas not increasing,
// beyond the batch's last offset, timestamps beyond +-2^61 ms).
CompactedBatch compact_batch(std::span<const uint8_t> batch, const protocol::RecordBatchHeader& header,
                             const CompactionContext& context, bool aborted, bool keep_if_empty);

// A control batch (a transaction marker) of the compacted log, where
// `can_discard` says the data of its transaction is all gone (see
// CleanedTransactions). Such a marker still stays delete.retention.ms, like
// a tombstone: the first cleaning to find it discardable gives its batch the
// horizon, a cleaning after the horizon drops it. Otherwise kept as is.
CompactedBatch compact_control_batch(std::span<const uint8_t> batch, const protocol::RecordBatchHeader& header,
                                     const CompactionContext& context, bool can_discard);

}  // namespace freshet::storage
