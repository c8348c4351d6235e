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
};

}  // namespace freshet::storage
