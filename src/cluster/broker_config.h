// The node's configuration: Kafka's server.properties keys with Kafka's
// defaults, loaded from an optional file plus `--set key=value` overrides.
// Keys Freshet does not know are reported, never silently ignored.
// Like Kafka's KafkaConfig it also carries the dynamic layers (KIP-226) the
// metadata image holds, so every reader sees a dynamic change at once; values
// resolve per-broker dynamic > cluster-default dynamic > static > default.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/config_def.h"
#include "cluster/dynamic_broker_config.h"
#include "protocol/wire.h"

namespace freshet::cluster {

struct ListenerAddress {
  std::string name;  // PLAINTEXT
  std::string host;
  uint16_t port;
};

// One controller.quorum.voters entry: "id@host:port"; or a voter of a
// dynamic quorum (KIP-853), whose metadata log dir's directory id it also
// names.
struct QuorumVoter {
  int32_t id;
  std::string host;
  uint16_t port;
  protocol::Uuid directory_id{};
  friend bool operator==(const QuorumVoter&, const QuorumVoter&) = default;
};

class BrokerConfig {
 public:
  BrokerConfig() = default;
  BrokerConfig(const BrokerConfig& other) : values_(other.values_), dynamic_(other.dynamic_.load()) {}
  BrokerConfig& operator=(const BrokerConfig& other);

  // Reads `properties_path` (if given) then applies `overrides` ("key=value").
  // Throws std::runtime_error with a readable message on unreadable files,
  // bad syntax or invalid values. Unknown keys are appended to `unknown_keys`.
  static BrokerConfig load(const std::optional<std::string>& properties_path, const std::vector<std::string>& overrides,
                           std::vector<std::string>* unknown_keys);
  // Parses "key=value" lines (Java properties subset: '#'/'!' comments, ':' or '=').
  static std::map<std::string, std::string> parse_properties(std::string_view text);

  // Whether server.properties or --set gives `key` (the static layer only).
  bool is_set(std::string_view key) const { return values_.count(std::string(key)) > 0; }
  // The value in force, else Kafka's default; "" for a key without a default.
  std::string get(std::string_view key) const { return lookup(key).value; }
  // The value in force and the layer it comes from.
  EffectiveConfig lookup(std::string_view key) const;
  // DescribeConfigs synonyms of `key` in Kafka's order: every name of the
  // setting (broker_config_synonyms) set in the per-broker dynamic layer, then
  // the cluster default, static and default layers, starting at `key` itself.
  // `per_broker` false (describing resource "") keeps the cluster default only.
  std::vector<ConfigSynonym> synonyms(std::string_view key, bool per_broker) const;
  int64_t get_int(std::string_view key) const;
  bool get_bool(std::string_view key) const;
  double get_double(std::string_view key) const;
  void set(const std::string& key, const std::string& value) { values_[key] = value; }

  // Replaces the dynamic layers with the applicable part of `configs`; called
  // by whoever publishes a metadata image, before the image is published.
  // Readers on other threads see either the old or the new layers.
  void set_dynamic(const DynamicBrokerConfigs& configs);
  // The same pointer until the layers change.
  std::shared_ptr<const DynamicBrokerConfigs> dynamic() const { return dynamic_.load(); }

  // "key=value has no effect: reason" for each key set here (server.properties
  // or --set) that Freshet accepts but does not apply (inert_configs.h).
  std::vector<std::string> inert_settings() const;

  // Every broker key Freshet knows (topic-config synonyms included), in
  // DescribeConfigs order; `def.default_value` is Kafka's default.
  static std::vector<ConfigDef> known_keys();
  // The definition of one known key (a topic synonym under its broker name).
  static std::optional<ConfigDef> find_key(std::string_view name);

  int32_t node_id() const { return static_cast<int32_t>(get_int("node.id")); }
  std::vector<std::string> log_dirs() const;
  std::vector<ListenerAddress> listeners() const;
  std::vector<ListenerAddress> advertised_listeners() const;
  // controller.quorum.voters, parsed; empty when unset (a quorum of this
  // node alone). Throws std::runtime_error for a malformed entry.
  std::vector<QuorumVoter> quorum_voters() const;
  // controller.quorum.bootstrap.servers without controller.quorum.voters: a
  // dynamic quorum (KIP-853), whose voters the metadata log keeps.
  bool dynamic_quorum() const;
  // Its entries, "host:port", with Kafka's ids for them: -2, -3, ...
  std::vector<QuorumVoter> quorum_bootstrap_servers() const;
  // The first of controller.listener.names (what a dynamic quorum's
  // VotersRecords name its voters' endpoints by); empty when none.
  std::string controller_listener_name() const;
  // Whether `name` is one of controller.listener.names: the quorum's
  // listeners, never advertised to clients.
  bool is_controller_listener(std::string_view name) const;
  // process.roles: whether this node serves clients and hosts partitions
  // (broker), and whether it votes in the metadata quorum (controller).
  bool is_broker() const;
  bool is_controller() const;
  // The address to advertise to a client connected through listener `name`:
  // its advertised.listeners entry, else the listener's own address (as
  // advertised_listeners() gives it), else the first advertised one.
  ListenerAddress advertised_listener(std::string_view name) const;

 private:
  std::map<std::string, std::string> values_;
  std::atomic<std::shared_ptr<const DynamicBrokerConfigs>> dynamic_{std::make_shared<const DynamicBrokerConfigs>()};
};

// Parses "PLAINTEXT://host:port,..." (an empty host means all interfaces).
std::vector<ListenerAddress> parse_listeners(std::string_view text);

}  // namespace freshet::cluster
