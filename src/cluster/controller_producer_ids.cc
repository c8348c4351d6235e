// Controller::allocate_producer_ids: Kafka's ProducerIdControlManager.
#include <spdlog/spdlog.h>

#include <cassert>
#include <limits>

#include "cluster/controller.h"

namespace freshet::cluster {

ProducerIdBlock Controller::allocate_producer_ids(int32_t broker_id, int64_t broker_epoch) {
  int64_t first = latest_->next_producer_id();
  if (first > std::numeric_limits<int64_t>::max() - kProducerIdBlockSize) {
    spdlog::error("exhausted all producer ids: the next block would pass the int64 limit");
    return {protocol::ErrorCode::UnknownServerError};
  }
  protocol::ProducerIdsRecord record;
  record.broker_id = broker_id;
  record.broker_epoch = broker_epoch;
  record.next_producer_id = first + kProducerIdBlockSize;
  if (auto result = commit({record}); result.error != protocol::ErrorCode::None) return {result.error};
  assert(latest_->next_producer_id() == first + kProducerIdBlockSize);
  spdlog::debug("producer ids {}..{} allocated to broker {}", first, first + kProducerIdBlockSize - 1, broker_id);
  return {protocol::ErrorCode::None, first, kProducerIdBlockSize};
}

}  // namespace freshet::cluster
