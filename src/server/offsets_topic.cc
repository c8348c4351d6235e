#include "server/offsets_topic.h"

#include "coordinator/group_coordinator.h"
#include "server/broker.h"
#include "server/internal_topic.h"

namespace freshet::server {

cluster::NewTopic offsets_topic_definition(const cluster::BrokerConfig& config, size_t live_brokers) {
  cluster::NewTopic topic;
  topic.name = std::string(kOffsetsTopic);
  topic.partitions = static_cast<int32_t>(config.get_int("offsets.topic.num.partitions"));
  topic.replication_factor = internal_replication_factor(config, "offsets.topic.replication.factor", live_brokers);
  topic.configs["cleanup.policy"] = "compact";
  topic.configs["compression.type"] = "producer";
  topic.configs["segment.bytes"] = std::to_string(config.get_int("offsets.topic.segment.bytes"));
  return topic;
}

void ensure_offsets_topic(Broker& broker, std::function<void(protocol::ErrorCode)> done) {
  ensure_internal_topic(
      broker, std::string(kOffsetsTopic),
      [&broker](size_t live_brokers) { return offsets_topic_definition(broker.config(), live_brokers); },
      std::move(done));
}

std::optional<GroupRoute> route_group(const Broker& broker, const cluster::MetadataImage& image,
                                      const std::string& group_id) {
  return route_coordinator_key(broker, image, kOffsetsTopic, group_id);
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
