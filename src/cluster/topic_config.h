// Kafka's topic-level configs: names, types, defaults, validation, and the
// broker key each one falls back to (retention.ms <- log.retention.ms ...).
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

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

// Where an effective config value comes from (Kafka's DescribeConfigs
// config_source ids).
enum class ConfigSource : int8_t {
  DynamicTopic = 1,          // TOPIC_CONFIG: the topic's own override
  DynamicBroker = 2,         // DYNAMIC_BROKER_CONFIG: set for this broker id
  DynamicDefaultBroker = 3,  // DYNAMIC_DEFAULT_BROKER_CONFIG: cluster-wide default
  StaticBroker = 4,          // STATIC_BROKER_CONFIG: server.properties / --set
  Default = 5,               // DEFAULT_CONFIG: Kafka's default
};

struct EffectiveConfig {
  std::string value;
  ConfigSource source;
};

// One entry of DescribeConfigs' synonyms list.
struct ConfigSynonym {
  std::string name;
  std::string value;
  ConfigSource source;
};

// The value in force for `def`: the topic's override, else the broker's
// setting of its synonym (dynamic per-broker, dynamic cluster default,
// static), else the default.
EffectiveConfig effective_topic_config(const TopicConfigDef& def, const ConfigMap& overrides, const BrokerConfig& broker);

// Kafka's synonyms of a topic config in precedence order: the topic override,
// then the broker synonym's own synonyms (BrokerConfig::synonyms).
std::vector<ConfigSynonym> topic_config_synonyms(const TopicConfigDef& def, const ConfigMap& overrides, const BrokerConfig& broker);

}  // namespace freshet::cluster
