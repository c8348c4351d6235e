// Per-partition log settings (Kafka's topic-level names in comments). Plain
// values; the layers above parse server.properties / topic configs into it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

namespace freshet::storage {

// The most a stored batch's records may decompress to when the broker reads
// them back (timestamp lookups, compaction): far above any batch a client
// may produce, a bound against a corrupt or hostile codec stream.
inline constexpr size_t kMaxUncompressedBatchBytes = 256 * 1024 * 1024;

struct LogConfig {
  uint64_t segment_bytes = uint64_t{1} << 30;                // segment.bytes (at most 2^31-1)
  int64_t segment_ms = int64_t{7} * 24 * 60 * 60 * 1000;     // segment.ms
  uint32_t index_interval_bytes = 4096;                      // index.interval.bytes
  uint32_t segment_index_bytes = 10 * 1024 * 1024;           // segment.index.bytes (roll when full)
  // Retention (cleanup.policy contains "delete"): whole segments past either
  // limit are deleted; -1 is unlimited.
  bool delete_retention = true;                              // cleanup.policy
  int64_t retention_ms = int64_t{7} * 24 * 60 * 60 * 1000;  // retention.ms
  int64_t retention_bytes = -1;                              // retention.bytes
  int64_t file_delete_delay_ms = 60000;                      // file.delete.delay.ms
  // Compaction (cleanup.policy contains "compact"): the cleaner keeps the
  // latest record of each key in the sealed segments it may clean.
  bool compact = false;                                      // cleanup.policy
  double min_cleanable_dirty_ratio = 0.5;                    // min.cleanable.dirty.ratio
  int64_t min_compaction_lag_ms = 0;                         // min.compaction.lag.ms
  int64_t max_compaction_lag_ms = std::numeric_limits<int64_t>::max();  // max.compaction.lag.ms
  int64_t delete_retention_ms = 86400000;                    // delete.retention.ms (tombstones, markers)
  int64_t producer_id_expiration_ms = 86400000;              // producer.id.expiration.ms (broker)
  bool transaction_verification_enabled = true;              // transaction.partition.verification.enable (broker)
  // Freshet's own bound on the producer ids one partition remembers (Kafka
  // has none): beyond it the longest-idle producers expire early.
  uint32_t max_producer_ids = 100000;
};

}  // namespace freshet::storage
