#include "server/producer_ids.h"

#include <cassert>

#include "server/broker.h"
#include "server/controller_calls.h"

namespace freshet::server {

void ProducerIdManager::next(std::function<void(ProducerIdResult)> done) {
  broker_.shards().submit_async<ProducerIdResult>(
      broker_.shards().control_shard(),
      [this](std::function<void(ProducerIdResult)> reply) {
        if (auto id = take()) return reply({protocol::ErrorCode::None, *id});
        // The block is handed out once the controller's record of it commits.
        protocol::AllocateProducerIdsRequest request;
        request.broker_id = broker_.node_id();
        on_active_controller<cluster::ProducerIdBlock, protocol::AllocateProducerIdsResponse>(
            broker_, [this](cluster::Controller& c) { return c.allocate_producer_ids(broker_.node_id(), -1); }, request,
            [](const protocol::AllocateProducerIdsResponse& r) {
              return cluster::ProducerIdBlock{static_cast<protocol::ErrorCode>(r.error_code), r.producer_id_start,
                                              r.producer_id_len};
            },
            cluster::ProducerIdBlock{protocol::ErrorCode::NotController},
            [this, reply](cluster::ProducerIdBlock block) {
              if (block.error != protocol::ErrorCode::None || block.size <= 0)
                return reply({protocol::ErrorCode::CoordinatorLoadInProgress});
              next_id_ = block.first_id;
              block_end_ = block.first_id + block.size;
              reply({protocol::ErrorCode::None, *take()});
            });
      },
      std::move(done));
}

std::optional<int64_t> ProducerIdManager::take() {
  if (next_id_ == block_end_) return std::nullopt;
  assert(next_id_ < block_end_);
  return next_id_++;
}

}  // namespace freshet::server
