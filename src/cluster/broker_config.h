// The node's configuration: Kafka's server.properties keys with Kafka's
// defaults, loaded from an optional file plus `--set key=value` overrides.
// Keys Freshet does not know are reported, never silently ignored.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/config_def.h"

namespace freshet::cluster {

struct ListenerAddress {
  std::string name;  // PLAINTEXT
  std::string host;
  uint16_t port;
};

class BrokerConfig {
 public:
  // Reads `properties_path` (if given) then applies `overrides` ("key=value").
  // Throws std::runtime_error with a readable message on unreadable files,
  // bad syntax or invalid values. Unknown keys are appended to `unknown_keys`.
  static BrokerConfig load(const std::optional<std::string>& properties_path, const std::vector<std::string>& overrides,
                           std::vector<std::string>* unknown_keys);
  // Parses "key=value" lines (Java properties subset: '#'/'!' comments, ':' or '=').
  static std::map<std::string, std::string> parse_properties(std::string_view text);

  bool is_set(std::string_view key) const { return values_.count(std::string(key)) > 0; }
  // The set value, else Kafka's default; "" for a key without a default.
  std::string get(std::string_view key) const;
  int64_t get_int(std::string_view key) const;
  bool get_bool(std::string_view key) const;
  void set(const std::string& key, const std::string& value) { values_[key] = value; }

  // Every broker key Freshet knows (topic-config synonyms included), in
  // DescribeConfigs order; `def.default_value` is Kafka's default.
  static std::vector<ConfigDef> known_keys();

  int32_t node_id() const { return static_cast<int32_t>(get_int("node.id")); }
  std::vector<std::string> log_dirs() const;
  std::vector<ListenerAddress> listeners() const;
  std::vector<ListenerAddress> advertised_listeners() const;

 private:
  std::map<std::string, std::string> values_;
};

// Parses "PLAINTEXT://host:port,..." (an empty host means all interfaces).
std::vector<ListenerAddress> parse_listeners(std::string_view text);

}  // namespace freshet::cluster
