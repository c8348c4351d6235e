#include "server/offsets_topic.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "coordinator/group_coordinator.h"
#include "server/broker.h"
#include "server/controller_calls.h"

namespace freshet::server {

cluster::NewTopic offsets_topic_definition(const cluster::BrokerConfig& config, size_t live_brokers) {
  cluster::NewTopic topic;
  topic.name = std::string(kOffsetsTopic);
  topic.partitions = static_cast<int32_t>(config.get_int("offsets.topic.num.partitions"));
  topic.replication_factor = static_cast<int16_t>(
      std::min<int64_t>(config.get_int("offsets.topic.replication.factor"), static_cast<int64_t>(live_brokers)));
  topic.configs["cleanup.policy"] = "compact";
  topic.configs["compression.type"] = "producer";
  topic.configs["segment.bytes"] = std::to_string(config.get_int("offsets.topic.segment.bytes"));
  return topic;
}

void ensure_offsets_topic(Broker& broker, std::function<void(protocol::ErrorCode)> done) {
  if (broker.image()->topic(std::string(kOffsetsTopic))) return done(protocol::ErrorCode::None);
  call_controller<protocol::ErrorCode>(
      broker,
      [&broker](cluster::Controller& controller) {
        auto result = controller.create_topic(
            offsets_topic_definition(broker.config(), controller.live_brokers().size()), false);
        if (result.error == protocol::ErrorCode::TopicAlreadyExists) return protocol::ErrorCode::None;
        if (result.error != protocol::ErrorCode::None) {
          spdlog::error("creating {} failed: {}", kOffsetsTopic, result.message);
          return protocol::ErrorCode::CoordinatorNotAvailable;
        }
        spdlog::info("created {} for the group coordinator", kOffsetsTopic);
        return protocol::ErrorCode::None;
      },
      std::move(done));
}

std::optional<GroupRoute> route_group(const Broker& broker, const cluster::MetadataImage& image,
                                      const std::string& group_id) {
  const cluster::TopicInfo* topic = image.topic(std::string(kOffsetsTopic));
  if (!topic || topic->partitions.empty()) return std::nullopt;
  int32_t partition = coordinator::group_partition(group_id, static_cast<int32_t>(topic->partitions.size()));
  return GroupRoute{partition, broker.shard_of(*topic, partition)};
}

coordinator::GroupConfig group_config(const cluster::BrokerConfig& config) {
  coordinator::GroupConfig out;
  out.initial_rebalance_delay_ms = static_cast<int32_t>(config.get_int("group.initial.rebalance.delay.ms"));
  out.min_session_timeout_ms = static_cast<int32_t>(config.get_int("group.min.session.timeout.ms"));
  out.max_session_timeout_ms = static_cast<int32_t>(config.get_int("group.max.session.timeout.ms"));
  out.max_size = static_cast<int32_t>(config.get_int("group.max.size"));
  out.offsets_retention_ms = config.get_int("offsets.retention.minutes") * 60 * 1000;
  out.offsets_retention_check_interval_ms = config.get_int("offsets.retention.check.interval.ms");
  out.offset_metadata_max_bytes = static_cast<int32_t>(config.get_int("offset.metadata.max.bytes"));
  return out;
}

}  // namespace freshet::server
