#include "server/produce_policy.h"

#include <algorithm>
#include <string>
#include <vector>

#include "cluster/config_def.h"

namespace freshet::server {

namespace {
std::string effective(const cluster::TopicInfo& topic, const cluster::BrokerConfig& broker, std::string_view name) {
  return cluster::effective_topic_config(*cluster::find_topic_config(name), topic.configs, broker).value;
}
int64_t effective_int(const cluster::TopicInfo& topic, const cluster::BrokerConfig& broker, std::string_view name) {
  return cluster::parse_int64(effective(topic, broker, name)).value_or(0);
}
double effective_double(const cluster::TopicInfo& topic, const cluster::BrokerConfig& broker, std::string_view name) {
  return cluster::parse_double(effective(topic, broker, name)).value_or(0);
}
// Whether the topic's cleanup.policy lists `policy` ("compact" or "delete").
bool has_cleanup_policy(const cluster::TopicInfo& topic, const cluster::BrokerConfig& broker, std::string_view policy) {
  const std::vector<std::string> policies = cluster::split_list(effective(topic, broker, "cleanup.policy"));
  return std::find(policies.begin(), policies.end(), policy) != policies.end();
}
}  // namespace

ProducePolicy resolve_produce_policy(const cluster::TopicInfo& topic, const cluster::BrokerConfig& broker) {
  ProducePolicy policy;
  policy.max_message_bytes = static_cast<int32_t>(effective_int(topic, broker, "max.message.bytes"));
  std::string compression = effective(topic, broker, "compression.type");
  if (compression == "uncompressed")
    policy.recompress_to = protocol::Compression::None;
  else if (compression != "producer")
    policy.recompress_to = protocol::compression_from_name(compression);
  policy.log_append_time = effective(topic, broker, "message.timestamp.type") == "LogAppendTime";
  // message.timestamp.difference.max.ms bounds both directions (deprecated
  // by KIP-937's before/after keys, which win when tighter).
  int64_t difference = effective_int(topic, broker, "message.timestamp.difference.max.ms");
  policy.timestamp_before_max_ms = std::min(difference, effective_int(topic, broker, "message.timestamp.before.max.ms"));
  policy.timestamp_after_max_ms = std::min(difference, effective_int(topic, broker, "message.timestamp.after.max.ms"));
  policy.min_insync_replicas = static_cast<int32_t>(effective_int(topic, broker, "min.insync.replicas"));
  policy.compacted = has_cleanup_policy(topic, broker, "compact");
  policy.flush_messages = effective_int(topic, broker, "flush.messages");
  policy.flush_ms = effective_int(topic, broker, "flush.ms");
  return policy;
}

storage::LogConfig resolve_log_config(const cluster::TopicInfo& topic, const cluster::BrokerConfig& broker) {
  storage::LogConfig config;
  config.segment_bytes = static_cast<uint64_t>(effective_int(topic, broker, "segment.bytes"));
  config.segment_ms = effective_int(topic, broker, "segment.ms");
  config.index_interval_bytes = static_cast<uint32_t>(effective_int(topic, broker, "index.interval.bytes"));
  config.segment_index_bytes = static_cast<uint32_t>(effective_int(topic, broker, "segment.index.bytes"));
  config.delete_retention = has_cleanup_policy(topic, broker, "delete");
  config.retention_ms = effective_int(topic, broker, "retention.ms");
  config.retention_bytes = effective_int(topic, broker, "retention.bytes");
  config.file_delete_delay_ms = effective_int(topic, broker, "file.delete.delay.ms");
  config.compact = has_cleanup_policy(topic, broker, "compact");
  config.min_cleanable_dirty_ratio = effective_double(topic, broker, "min.cleanable.dirty.ratio");
  config.min_compaction_lag_ms = effective_int(topic, broker, "min.compaction.lag.ms");
  config.max_compaction_lag_ms = effective_int(topic, broker, "max.compaction.lag.ms");
  config.delete_retention_ms = effective_int(topic, broker, "delete.retention.ms");
  config.producer_id_expiration_ms = broker.get_int("producer.id.expiration.ms");
  config.transaction_verification_enabled = broker.get_bool("transaction.partition.verification.enable");
  return config;
}

}  // namespace freshet::server
