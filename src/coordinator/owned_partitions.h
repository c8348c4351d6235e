// What both coordinators ask of their table of owned internal-topic
// partitions (a map from partition to a state with a `loading` flag).
#pragma once

#include <cstdint>

#include "protocol/errors.h"

namespace freshet::coordinator {

// None if `partition` is owned and loaded; NOT_COORDINATOR if not owned;
// COORDINATOR_LOAD_IN_PROGRESS while it loads.
template <typename Partitions>
protocol::ErrorCode owned_partition_error(const Partitions& partitions, int32_t partition) {
  auto it = partitions.find(partition);
  if (it == partitions.end()) return protocol::ErrorCode::NotCoordinator;
  return it->second.loading ? protocol::ErrorCode::CoordinatorLoadInProgress : protocol::ErrorCode::None;
}

// The partition's state if it is owned and loaded, else nullptr.
template <typename Partitions>
typename Partitions::mapped_type* active_partition(Partitions& partitions, int32_t partition) {
  auto it = partitions.find(partition);
  return it == partitions.end() || it->second.loading ? nullptr : &it->second;
}

}  // namespace freshet::coordinator
