#include "server/producer_ids.h"

#include <cassert>

#include "server/broker.h"

namespace freshet::server {

void ProducerIdManager::next(std::function<void(ProducerIdResult)> done) {
  broker_.shards().submit_async<ProducerIdResult>(
      0, [this](std::function<void(ProducerIdResult)> reply) { reply(take()); }, std::move(done));
}

ProducerIdResult ProducerIdManager::take() {
  if (next_id_ == block_end_) {
    // A single node is its own controller; a cluster's broker will ask the
    // active controller (AllocateProducerIds) here.
    auto block = broker_.controller().allocate_producer_ids(broker_.node_id(), -1);
    if (block.error != protocol::ErrorCode::None) return {protocol::ErrorCode::CoordinatorLoadInProgress};
    next_id_ = block.first_id;
    block_end_ = block.first_id + block.size;
  }
  assert(next_id_ < block_end_);
  return {protocol::ErrorCode::None, next_id_++};
}

}  // namespace freshet::server
