// Wall-clock milliseconds since the epoch (Kafka timestamps).
#pragma once

#include <chrono>
#include <cstdint>

namespace freshet::server {

inline int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace freshet::server
