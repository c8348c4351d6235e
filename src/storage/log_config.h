// Per-partition log settings (Kafka's topic-level names in comments). Plain
// values; the layers above parse server.properties / topic configs into it.
#pragma once

#include <cstdint>

namespace freshet::storage {

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
  int64_t producer_id_expiration_ms = 86400000;              // producer.id.expiration.ms (broker)
  bool transaction_verification_enabled = true;              // transaction.partition.verification.enable (broker)
  // Freshet's own bound on the producer ids one partition remembers (Kafka
  // has none): beyond it the longest-idle producers expire early.
  uint32_t max_producer_ids = 100000;
};

}  // namespace freshet::storage
