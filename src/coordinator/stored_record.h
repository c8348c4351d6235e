// One key/value record a coordinator writes to its internal topic
// (__consumer_offsets, __transaction_state).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace freshet::coordinator {

struct StoredRecord {
  std::vector<uint8_t> key;
  std::optional<std::vector<uint8_t>> value;  // nullopt: tombstone
};

}  // namespace freshet::coordinator
