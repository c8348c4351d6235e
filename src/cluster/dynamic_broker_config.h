// KIP-226 dynamic broker configs: which broker keys may change at runtime,
// their synonyms, and the checks Kafka's broker makes on the dynamic config
// set of a BROKER resource ("" = cluster-wide default, "<node.id>" = one
// broker) before it is stored as ConfigRecords in the metadata log.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/topic_config.h"

namespace freshet::cluster {

// The dynamic layers of a broker's configuration, as the metadata image holds them.
struct DynamicBrokerConfigs {
  ConfigMap cluster_default;  // BROKER resource ""
  ConfigMap per_broker;       // BROKER resource "<node.id>" of this node
  friend bool operator==(const DynamicBrokerConfigs&, const DynamicBrokerConfigs&) = default;
};

// Whether `name` may be changed at runtime. Freshet applies live the broker
// defaults of topic configs (Kafka's DynamicLogConfig.ReconfigurableConfigs:
// log.retention.ms, message.max.bytes, compression.type, ...); the other keys
// Kafka can reconfigure (listeners, thread pools, quotas) are not applied
// live here, so they are read-only like every other static key.
bool is_dynamic_broker_config(std::string_view name);

// Kafka's DynamicBrokerConfig.brokerConfigSynonyms: every name of one broker
// setting, highest precedence first (log.retention.ms, .minutes, .hours).
std::vector<std::string> broker_config_synonyms(std::string_view name);

// The checks Kafka's DynamicBrokerConfig.validateConfigs makes on the whole
// dynamic config set of a BROKER resource after a change, in Kafka's order:
// read-only keys, unknown keys, then values. Returns the message of the
// INVALID_REQUEST answer, or nullopt when the set is valid.
std::optional<std::string> invalid_dynamic_broker_configs(const ConfigMap& configs);

// The entries of a stored set that can be applied: dynamic keys with valid
// values. Others (written by another version, say) are logged and ignored,
// as Kafka's DynamicBrokerConfig.fromPersistentProps does.
ConfigMap applicable_dynamic_broker_configs(const ConfigMap& configs);

}  // namespace freshet::cluster
