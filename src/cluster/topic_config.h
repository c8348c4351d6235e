// Kafka's topic-level configs: names, types, defaults, validation, and the
// broker key each one falls back to (retention.ms <- log.retention.ms ...).
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>

#include "cluster/config_def.h"

namespace freshet::cluster {

class BrokerConfig;

struct TopicConfigDef {
  ConfigDef def;
  const char* broker_key;  // synonym in server.properties, or nullptr
};

using ConfigMap = std::map<std::string, std::string, std::less<>>;

std::span<const TopicConfigDef> topic_config_defs();
const TopicConfigDef* find_topic_config(std::string_view name);

// Checks every key and value; returns the first problem as a readable message.
std::optional<std::string> validate_topic_configs(const ConfigMap& configs);

// Where an effective topic config value comes from (DescribeConfigs sources).
enum class ConfigSource : int8_t { DynamicTopic = 1, StaticBroker = 4, Default = 5 };

struct EffectiveConfig {
  std::string value;
  ConfigSource source;
};

// The value in force for `def`: the topic's override, else the broker's
// setting of its synonym, else the default.
EffectiveConfig effective_topic_config(const TopicConfigDef& def, const ConfigMap& overrides, const BrokerConfig& broker);

}  // namespace freshet::cluster
