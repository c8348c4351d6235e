// Producer ids for InitProducerId: handed out one at a time from blocks of
// kProducerIdBlockSize the active controller allocates to this broker
// (AllocateProducerIds when another node leads) and commits to the metadata
// log first, so an id is never reused, not even after a crash (ids of a
// block not used up are skipped, as in Kafka). Lives on the control shard; next() may
// be called from any shard.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "protocol/errors.h"

namespace freshet::server {

class Broker;

struct ProducerIdResult {
  protocol::ErrorCode error = protocol::ErrorCode::None;
  int64_t producer_id = -1;
};

class ProducerIdManager {
 public:
  explicit ProducerIdManager(Broker& broker) : broker_(broker) {}

  // Calls done() on the caller's shard with the next id, or with the error a
  // client should see (COORDINATOR_LOAD_IN_PROGRESS: retry) when no block
  // could be allocated.
  void next(std::function<void(ProducerIdResult)> done);

 private:
  // The next id of the current block; nullopt when it is used up.
  std::optional<int64_t> take();  // on the control shard

  Broker& broker_;
  int64_t next_id_ = 0;  // the current block is [next_id_, block_end_)
  int64_t block_end_ = 0;
};

}  // namespace freshet::server
