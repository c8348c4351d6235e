#include "server/internal_topic.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "coordinator/group_coordinator.h"
#include "server/broker.h"
#include "server/controller_calls.h"

namespace freshet::server {

void ensure_internal_topic(Broker& broker, const std::string& name, InternalTopicDefinition definition,
                           std::function<void(protocol::ErrorCode)> done) {
  if (broker.image()->topic(name)) return done(protocol::ErrorCode::None);
  create_topic_on_controller(broker, definition(broker.image()->live_brokers().size()),
                             [name, done = std::move(done)](cluster::TopicResult result) {
                               if (result.error == protocol::ErrorCode::None) spdlog::info("created internal topic {}", name);
                               if (result.error == protocol::ErrorCode::None || result.error == protocol::ErrorCode::TopicAlreadyExists)
                                 return done(protocol::ErrorCode::None);
                               spdlog::error("creating {} failed: {}", name, result.message);
                               done(protocol::ErrorCode::CoordinatorNotAvailable);
                             });
}

std::optional<CoordinatorRoute> route_coordinator_key(const Broker& broker, const cluster::MetadataImage& image,
                                                      std::string_view topic_name, const std::string& key) {
  const cluster::TopicInfo* topic = image.topic(topic_name);
  if (!topic || topic->partitions.empty()) return std::nullopt;
  int32_t partition = coordinator::group_partition(key, static_cast<int32_t>(topic->partitions.size()));
  return CoordinatorRoute{partition, broker.shard_of(*topic, partition)};
}

int16_t internal_replication_factor(const cluster::BrokerConfig& config, const char* key, size_t live_brokers) {
  return static_cast<int16_t>(std::min<int64_t>(config.get_int(key), static_cast<int64_t>(live_brokers)));
}

}  // namespace freshet::server
