// The two clocks of the cluster layer.
#pragma once

#include <chrono>
#include <cstdint>

namespace freshet::cluster {

// Wall-clock milliseconds since the epoch: record batch timestamps.
inline int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Milliseconds of a clock that never jumps: the metadata quorum's timers.
inline int64_t monotonic_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace freshet::cluster
