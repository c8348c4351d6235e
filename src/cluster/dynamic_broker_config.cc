#include "cluster/dynamic_broker_config.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "cluster/broker_config.h"

namespace freshet::cluster {

namespace {
// Scala's rendering of a small Set, as Kafka's messages print it: Set(a, b).
std::string scala_set(const std::vector<std::string>& names) {
  return fmt::format("{}({})", names.size() <= 4 ? "Set" : "HashSet", fmt::join(names, ", "));
}
}  // namespace

bool is_dynamic_broker_config(std::string_view name) {
  const auto defs = topic_config_defs();
  return std::any_of(defs.begin(), defs.end(), [&](const TopicConfigDef& d) { return d.broker_key && name == d.broker_key; });
}

std::vector<std::string> broker_config_synonyms(std::string_view name) {
  static const std::vector<std::vector<std::string>> kGroups = {
      {"log.roll.ms", "log.roll.hours"},
      {"log.roll.jitter.ms", "log.roll.jitter.hours"},
      {"log.flush.interval.ms", "log.flush.scheduler.interval.ms"},
      {"log.retention.ms", "log.retention.minutes", "log.retention.hours"},
  };
  for (const auto& group : kGroups)
    if (std::find(group.begin(), group.end(), name) != group.end()) return group;
  return {std::string(name)};
}

std::optional<std::string> invalid_dynamic_broker_configs(const ConfigMap& configs) {
  std::vector<std::string> read_only;
  std::vector<std::string> unknown;
  for (const auto& [name, value] : configs) {
    if (is_dynamic_broker_config(name)) continue;
    (BrokerConfig::find_key(name) ? read_only : unknown).push_back(name);
  }
  if (!read_only.empty()) return "Cannot update these configs dynamically: " + scala_set(read_only);
  if (!unknown.empty()) return "Unknown Dynamic Configuration: " + scala_set(unknown) + ".";
  for (const auto& [name, value] : configs)
    if (auto problem = validate_config_value(*BrokerConfig::find_key(name), value)) return problem;
  return std::nullopt;
}

ConfigMap applicable_dynamic_broker_configs(const ConfigMap& configs) {
  ConfigMap applicable;
  for (const auto& [name, value] : configs) {
    if (!is_dynamic_broker_config(name)) {
      spdlog::error("dynamic broker config {} is not dynamic here; ignored", name);
      continue;
    }
    if (auto problem = validate_config_value(*BrokerConfig::find_key(name), value)) {
      spdlog::error("dynamic broker config ignored: {}", *problem);
      continue;
    }
    applicable.emplace(name, value);
  }
  return applicable;
}

}  // namespace freshet::cluster
