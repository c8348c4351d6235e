// Where the group coordinator makes its state durable: the __consumer_offsets
// partitions. Implemented by the server over the real partition logs.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "coordinator/stored_record.h"
#include "protocol/errors.h"

namespace freshet::coordinator {

class GroupStore {
 public:
  virtual ~GroupStore() = default;
  // Appends `records` as one batch to __consumer_offsets partition
  // `partition` and calls done(None) once they are durable (acks=all), or
  // done(error) with the Kafka error the coordinator should answer with
  // (e.g. COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR). `done` runs later, on
  // the calling shard, never inside append().
  virtual void append(int32_t partition, std::vector<StoredRecord> records,
                      std::function<void(protocol::ErrorCode)> done) = 0;
};

}  // namespace freshet::coordinator
