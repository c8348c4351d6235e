#include "cluster/topic_config.h"

#include <fmt/format.h>

#include "cluster/broker_config.h"

namespace freshet::cluster {

namespace {
constexpr const char* kLongMax = "9223372036854775807";
using T = ConfigType;

// Apache Kafka's topic configs (TopicConfig / LogConfig) with their defaults.
const TopicConfigDef kTopicConfigs[] = {
    {{"cleanup.policy", T::List, "delete", 0, 0, "compact|delete"}, "log.cleanup.policy"},
    {{"compression.type", T::String, "producer", 0, 0, "uncompressed|zstd|lz4|snappy|gzip|producer"}, "compression.type"},
    {{"delete.retention.ms", T::Long, "86400000", 0}, "log.cleaner.delete.retention.ms"},
    {{"file.delete.delay.ms", T::Long, "60000", 0}, "log.segment.delete.delay.ms"},
    {{"flush.messages", T::Long, kLongMax, 1}, "log.flush.interval.messages"},
    {{"flush.ms", T::Long, kLongMax, 0}, "log.flush.interval.ms"},
    {{"follower.replication.throttled.replicas", T::List, ""}, nullptr},
    {{"index.interval.bytes", T::Int, "4096", 0}, "log.index.interval.bytes"},
    {{"leader.replication.throttled.replicas", T::List, ""}, nullptr},
    {{"local.retention.bytes", T::Long, "-2", -2}, "log.local.retention.bytes"},
    {{"local.retention.ms", T::Long, "-2", -2}, "log.local.retention.ms"},
    {{"max.compaction.lag.ms", T::Long, kLongMax, 1}, "log.cleaner.max.compaction.lag.ms"},
    {{"max.message.bytes", T::Int, "1048588", 0}, "message.max.bytes"},
    {{"message.downconversion.enable", T::Boolean, "true"}, "log.message.downconversion.enable"},
    {{"message.format.version", T::String, "3.0-IV1"}, "log.message.format.version"},
    {{"message.timestamp.after.max.ms", T::Long, kLongMax, 0}, "log.message.timestamp.after.max.ms"},
    {{"message.timestamp.before.max.ms", T::Long, kLongMax, 0}, "log.message.timestamp.before.max.ms"},
    {{"message.timestamp.difference.max.ms", T::Long, kLongMax, 0}, "log.message.timestamp.difference.max.ms"},
    {{"message.timestamp.type", T::String, "CreateTime", 0, 0, "CreateTime|LogAppendTime"}, "log.message.timestamp.type"},
    {{"min.cleanable.dirty.ratio", T::Double, "0.5", 0, 1}, "log.cleaner.min.cleanable.ratio"},
    {{"min.compaction.lag.ms", T::Long, "0", 0}, "log.cleaner.min.compaction.lag.ms"},
    {{"min.insync.replicas", T::Int, "1", 1}, "min.insync.replicas"},
    {{"preallocate", T::Boolean, "false"}, "log.preallocate"},
    {{"remote.storage.enable", T::Boolean, "false"}, nullptr},
    {{"retention.bytes", T::Long, "-1"}, "log.retention.bytes"},
    {{"retention.ms", T::Long, "604800000", -1}, "log.retention.ms"},
    {{"segment.bytes", T::Int, "1073741824", 14}, "log.segment.bytes"},
    {{"segment.index.bytes", T::Int, "10485760", 4}, "log.index.size.max.bytes"},
    {{"segment.jitter.ms", T::Long, "0", 0}, "log.roll.jitter.ms"},
    {{"segment.ms", T::Long, "604800000", 1}, "log.roll.ms"},
    {{"unclean.leader.election.enable", T::Boolean, "false"}, "unclean.leader.election.enable"},
};
}  // namespace

std::span<const TopicConfigDef> topic_config_defs() { return kTopicConfigs; }

const TopicConfigDef* find_topic_config(std::string_view name) {
  for (const auto& d : kTopicConfigs)
    if (name == d.def.name) return &d;
  return nullptr;
}

std::optional<std::string> validate_topic_configs(const ConfigMap& configs) {
  for (const auto& [key, value] : configs) {
    const TopicConfigDef* def = find_topic_config(key);
    if (!def) return fmt::format("Unknown topic config name: {}", key);
    if (auto problem = validate_config_value(def->def, value)) return problem;
  }
  return std::nullopt;
}

EffectiveConfig effective_topic_config(const TopicConfigDef& def, const ConfigMap& overrides, const BrokerConfig& broker) {
  if (auto it = overrides.find(def.def.name); it != overrides.end()) return {it->second, ConfigSource::DynamicTopic};
  if (def.broker_key) {
    EffectiveConfig from_broker = broker.lookup(def.broker_key);
    if (from_broker.source != ConfigSource::Default) return from_broker;
  }
  return {def.def.default_value, ConfigSource::Default};
}

std::vector<ConfigSynonym> topic_config_synonyms(const TopicConfigDef& def, const ConfigMap& overrides, const BrokerConfig& broker) {
  std::vector<ConfigSynonym> synonyms;
  if (auto it = overrides.find(def.def.name); it != overrides.end())
    synonyms.push_back({def.def.name, it->second, ConfigSource::DynamicTopic});
  if (def.broker_key)
    for (auto& s : broker.synonyms(def.broker_key, true)) synonyms.push_back(std::move(s));
  return synonyms;
}

}  // namespace freshet::cluster
