// Wall-clock milliseconds since the epoch (Kafka timestamps).
#pragma once

#include <cstdint>

#include "cluster/clock.h"

namespace freshet::server {

inline int64_t now_ms() { return cluster::wall_clock_ms(); }

}  // namespace freshet::server
