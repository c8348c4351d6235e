#include "cluster/broker_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "cluster/config_def.h"
#include "cluster/inert_configs.h"
#include "cluster/topic_config.h"

namespace freshet::cluster {

namespace {
using T = ConfigType;
constexpr const char* kLongMax = "9223372036854775807";

// Broker keys Freshet understands (beyond the topic-config synonyms), with
// Apache Kafka's defaults; Freshet's embedded defaults differ only where a
// developer's single node needs it (listeners, log.dirs, node.id).
const ConfigDef kBrokerKeys[] = {
    {"node.id", T::Int, "1", 0},
    {"broker.id", T::Int, "-1", -1},
    {"process.roles", T::List, "broker,controller", 0, 0, "broker|controller"},
    {"cluster.id", T::String, ""},
    {"listeners", T::String, "PLAINTEXT://127.0.0.1:9092"},
    {"advertised.listeners", T::String, ""},
    {"listener.security.protocol.map", T::String, ""},
    {"inter.broker.listener.name", T::String, "PLAINTEXT"},
    {"controller.listener.names", T::String, ""},
    {"controller.quorum.voters", T::String, ""},
    {"controller.quorum.bootstrap.servers", T::String, ""},
    {"controller.quorum.election.timeout.ms", T::Int, "1000", 1},
    {"controller.quorum.fetch.timeout.ms", T::Int, "2000", 1},
    {"controller.quorum.election.backoff.max.ms", T::Int, "1000", 1},
    {"controller.quorum.request.timeout.ms", T::Int, "2000", 1},
    {"broker.rack", T::String, ""},
    {"broker.heartbeat.interval.ms", T::Int, "2000", 1},
    {"broker.session.timeout.ms", T::Int, "9000", 1},
    {"log.dirs", T::String, ""},
    {"log.dir", T::String, "./freshet-data"},
    {"metadata.log.dir", T::String, ""},
    {"metadata.log.max.record.bytes.between.snapshots", T::Long, "20971520", 1},
    {"metadata.log.max.snapshot.interval.ms", T::Long, "3600000", 0},  // 0: no snapshot by age
    {"num.partitions", T::Int, "1", 1},
    {"default.replication.factor", T::Short, "1", 1},
    {"auto.create.topics.enable", T::Boolean, "true"},
    {"delete.topic.enable", T::Boolean, "true"},
    {"socket.request.max.bytes", T::Int, "104857600", 1},
    // How long a forwarded admin request waits for the active controller (Kafka's).
    {"request.timeout.ms", T::Int, "30000", 0},
    // Kafka's default is 102400; -1 (the OS's, autotuned) is much faster on fast links.
    {"socket.send.buffer.bytes", T::Int, "-1", -1},
    {"socket.receive.buffer.bytes", T::Int, "-1", -1},
    {"num.network.threads", T::Int, "3", 1},
    {"num.io.threads", T::Int, "8", 1},
    {"num.recovery.threads.per.data.dir", T::Int, "1", 1},
    {"log.retention.hours", T::Int, "168"},
    {"log.retention.minutes", T::Int, ""},
    {"log.roll.hours", T::Int, "168", 1},
    {"log.retention.check.interval.ms", T::Long, "300000", 1},
    {"log.cleaner.enable", T::Boolean, "true"},
    {"log.cleaner.threads", T::Int, "1", 0},
    {"log.cleaner.dedupe.buffer.size", T::Long, "134217728"},
    {"log.cleaner.io.buffer.size", T::Int, "524288", 0},
    {"log.cleaner.io.buffer.load.factor", T::Double, "0.9"},
    {"log.cleaner.io.max.bytes.per.second", T::Double, "1.7976931348623157E308"},
    {"log.cleaner.backoff.ms", T::Long, "15000", 0},
    {"log.flush.scheduler.interval.ms", T::Long, kLongMax},
    {"log.flush.offset.checkpoint.interval.ms", T::Int, "60000", 0},
    {"offsets.topic.num.partitions", T::Int, "50", 1},
    {"offsets.topic.replication.factor", T::Short, "3", 1},
    {"offsets.retention.minutes", T::Int, "10080", 1},
    {"offsets.retention.check.interval.ms", T::Long, "600000", 1},
    {"offsets.topic.segment.bytes", T::Int, "104857600", 1},
    {"offsets.topic.compression.codec", T::Int, "0", 0},
    {"offsets.commit.timeout.ms", T::Int, "5000", 1},
    {"offsets.load.buffer.size", T::Int, "5242880", 1},
    {"offset.metadata.max.bytes", T::Int, "4096"},
    {"transaction.state.log.num.partitions", T::Int, "50", 1},
    {"transaction.state.log.replication.factor", T::Short, "3", 1},
    {"transaction.state.log.min.isr", T::Int, "2", 1},
    {"transaction.state.log.segment.bytes", T::Int, "104857600", 1},
    {"transaction.state.log.load.buffer.size", T::Int, "5242880", 1},
    {"transaction.max.timeout.ms", T::Int, "900000", 1},
    {"transactional.id.expiration.ms", T::Int, "604800000", 1},
    {"transaction.abort.timed.out.transaction.cleanup.interval.ms", T::Int, "10000", 1},
    {"transaction.remove.expired.transaction.cleanup.interval.ms", T::Int, "3600000", 1},
    {"transaction.partition.verification.enable", T::Boolean, "true"},
    {"producer.id.expiration.ms", T::Int, "86400000", 1},
    {"producer.id.expiration.check.interval.ms", T::Int, "600000", 1},
    {"group.initial.rebalance.delay.ms", T::Int, "3000", 0},
    {"group.min.session.timeout.ms", T::Int, "6000"},
    {"group.max.session.timeout.ms", T::Int, "1800000"},
    {"group.max.size", T::Int, "2147483647", 1},
    {"replica.lag.time.max.ms", T::Long, "30000"},
    {"fetch.max.bytes", T::Int, "57671680", 1024},
    {"max.incremental.fetch.session.cache.slots", T::Int, "1000", 0},
    {"queued.max.requests", T::Int, "500", 1},
    // Kafka's default is -1 (unbounded); Freshet bounds request memory by default.
    {"queued.max.request.bytes", T::Long, "268435456", -1},
    {"max.connections", T::Int, "2147483647", 0},
    {"max.connections.per.ip", T::Int, "2147483647", 0},
    {"connections.max.idle.ms", T::Long, "600000", -1},
    // Freshet's own (Kafka has no such key): how a plaintext connection sends
    // the log bytes of a Fetch response. sendfile: from the page cache; copy:
    // read into memory, then written; auto: copy for clients on this host
    // (faster for them, see bench/README.md), sendfile for the others.
    {"freshet.fetch.file.transfer", T::String, "auto", 0, 0, "auto|sendfile|copy"},
    {"replica.fetch.max.bytes", T::Int, "1048576", 0},
    {"replica.fetch.response.max.bytes", T::Int, "10485760", 0},
    {"replica.fetch.wait.max.ms", T::Int, "500", 0},
    {"replica.fetch.min.bytes", T::Int, "1", 1},
    {"replica.fetch.backoff.ms", T::Int, "1000", 0},
};

const ConfigDef* find_broker_key(std::string_view name) {
  for (const auto& d : kBrokerKeys)
    if (name == d.name) return &d;
  return nullptr;
}

// A topic config's broker synonym (log.retention.ms ...), if `name` is one.
const TopicConfigDef* find_topic_synonym(std::string_view name) {
  for (const auto& t : topic_config_defs())
    if (t.broker_key && name == t.broker_key) return &t;
  return nullptr;
}

// Kafka's security protocol of each listener: listener.security.protocol.map,
// else the listener's name when it is a protocol's own name.
std::string security_protocol(const BrokerConfig& config, const std::string& listener) {
  for (const auto& entry : split_list(config.get("listener.security.protocol.map"))) {
    size_t colon = entry.find(':');
    if (colon != std::string::npos && entry.substr(0, colon) == listener) return entry.substr(colon + 1);
  }
  for (const char* protocol : {"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"})
    if (listener == protocol) return listener;
  throw std::runtime_error(fmt::format("No security protocol defined for listener {}", listener));
}

// Settings asking for what this node cannot do yet are refused at start,
// rather than quietly ignored.
// Kafka's checks of process.roles against the quorum and the listeners
// (KafkaConfig's validateValues).
void check_roles(const BrokerConfig& config) {
  const auto roles = split_list(config.get("process.roles"));
  if (roles.empty()) throw std::runtime_error("process.roles must name broker, controller or both");
  const auto voters = config.quorum_voters();
  const bool voter = std::any_of(voters.begin(), voters.end(), [&](const QuorumVoter& v) { return v.id == config.node_id(); });
  const auto listeners = config.listeners();
  const auto controller_listeners = std::count_if(listeners.begin(), listeners.end(), [&](const ListenerAddress& l) {
    return config.is_controller_listener(l.name);
  });
  const bool dynamic = config.dynamic_quorum();
  if (dynamic) config.quorum_bootstrap_servers();  // well-formed
  if (!config.is_controller()) {
    if (voters.empty() && !dynamic)
      throw std::runtime_error("process.roles=broker needs controller.quorum.voters or "
                               "controller.quorum.bootstrap.servers: the controllers it follows");
    if (voter)
      throw std::runtime_error(fmt::format("controller.quorum.voters={} lists this node (node.id={}), but "
                                           "process.roles={} does not make it a controller",
                                           config.get("controller.quorum.voters"), config.node_id(),
                                           config.get("process.roles")));
    if (config.get("controller.listener.names").empty())
      throw std::runtime_error("controller.listener.names must contain at least one value when running KRaft with "
                               "just the broker role");
    if (controller_listeners > 0)
      throw std::runtime_error("controller.listener.names must not contain a value appearing in the 'listeners' "
                               "configuration when running KRaft with just the broker role");
    return;
  }
  if (!voters.empty() && !voter)
    throw std::runtime_error(fmt::format("controller.quorum.voters={} does not list this node (node.id={}), which "
                                         "process.roles makes a controller",
                                         config.get("controller.quorum.voters"), config.node_id()));
  if ((voters.size() > 1 || !config.is_broker() || dynamic) && controller_listeners == 0)
    throw std::runtime_error(fmt::format(
        "controller.listener.names={} must name one of the listeners ({}) for the controller quorum to listen on",
        config.get("controller.listener.names"), config.get("listeners")));
  if (!config.is_broker() && static_cast<size_t>(controller_listeners) != listeners.size())
    throw std::runtime_error("The listeners config must only contain KRaft controller listeners from "
                             "controller.listener.names when process.roles=controller");
}

void refuse_unsupported(const BrokerConfig& config) {
  check_roles(config);
  for (const auto& listener : config.listeners()) {
    std::string protocol = security_protocol(config, listener.name);
    if (protocol != "PLAINTEXT")
      throw std::runtime_error(fmt::format("listener {} uses {}, which is not supported yet (PLAINTEXT only)",
                                           listener.name, protocol));
  }
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return std::string(s);
}
}  // namespace

std::map<std::string, std::string> BrokerConfig::parse_properties(std::string_view text) {
  std::map<std::string, std::string> out;
  std::istringstream in{std::string(text)};
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::string t = trim(line);
    if (t.empty() || t[0] == '#' || t[0] == '!') continue;
    size_t sep = t.find_first_of("=:");
    if (sep == std::string::npos) throw std::runtime_error(fmt::format("line {}: expected key=value, got '{}'", number, t));
    out[trim(std::string_view(t).substr(0, sep))] = trim(std::string_view(t).substr(sep + 1));
  }
  return out;
}

BrokerConfig BrokerConfig::load(const std::optional<std::string>& properties_path, const std::vector<std::string>& overrides,
                                std::vector<std::string>* unknown_keys) {
  BrokerConfig config;
  if (properties_path) {
    std::ifstream file(*properties_path);
    if (!file) throw std::runtime_error(fmt::format("cannot read config file {}", *properties_path));
    std::stringstream buffer;
    buffer << file.rdbuf();
    try {
      config.values_ = parse_properties(buffer.str());
    } catch (const std::exception& e) {
      throw std::runtime_error(fmt::format("{}: {}", *properties_path, e.what()));
    }
  }
  for (const auto& o : overrides) {
    size_t eq = o.find('=');
    if (eq == std::string::npos || eq == 0) throw std::runtime_error(fmt::format("--set expects key=value, got '{}'", o));
    config.values_[trim(std::string_view(o).substr(0, eq))] = trim(std::string_view(o).substr(eq + 1));
  }
  for (const auto& [key, value] : config.values_) {
    const ConfigDef* def = find_broker_key(key);
    if (const TopicConfigDef* synonym = find_topic_synonym(key)) {
      ConfigDef renamed = synonym->def;
      renamed.name = synonym->broker_key;
      if (auto problem = validate_config_value(renamed, value)) throw std::runtime_error(*problem);
      continue;
    }
    if (!def) {
      if (unknown_keys) unknown_keys->push_back(key);
      continue;
    }
    if (auto problem = validate_config_value(*def, value)) throw std::runtime_error(*problem);
  }
  // Kafka's coarser retention/roll keys feed the millisecond ones.
  if (!config.is_set("log.retention.ms")) {
    if (config.is_set("log.retention.minutes"))
      config.values_["log.retention.ms"] = std::to_string(config.get_int("log.retention.minutes") * 60000);
    else if (config.is_set("log.retention.hours"))
      config.values_["log.retention.ms"] = std::to_string(config.get_int("log.retention.hours") * 3600000);
  }
  if (!config.is_set("log.roll.ms") && config.is_set("log.roll.hours"))
    config.values_["log.roll.ms"] = std::to_string(config.get_int("log.roll.hours") * 3600000);
  if (config.is_set("broker.id") && !config.is_set("node.id")) config.values_["node.id"] = config.get("broker.id");
  if (config.listeners().empty()) throw std::runtime_error("listeners: no valid listener in '" + config.get("listeners") + "'");
  refuse_unsupported(config);
  int64_t queued_bytes = config.get_int("queued.max.request.bytes");
  if (queued_bytes > 0 && queued_bytes < config.get_int("socket.request.max.bytes"))
    throw std::runtime_error("queued.max.request.bytes must be larger or equal to socket.request.max.bytes");
  return config;
}

std::vector<std::string> BrokerConfig::inert_settings() const {
  std::vector<std::string> notes;
  for (const auto& [key, value] : values_) {
    const TopicConfigDef* synonym = find_topic_synonym(key);
    const char* reason = inert_config_reason(synonym ? synonym->def.name : key);
    if (reason) notes.push_back(fmt::format("{}={} has no effect: {}", key, value, reason));
  }
  return notes;
}

std::vector<ConfigDef> BrokerConfig::known_keys() {
  std::vector<ConfigDef> keys(std::begin(kBrokerKeys), std::end(kBrokerKeys));
  for (const auto& t : topic_config_defs()) {
    if (!t.broker_key || find_broker_key(t.broker_key)) continue;
    ConfigDef renamed = t.def;
    renamed.name = t.broker_key;
    keys.push_back(renamed);
  }
  return keys;
}

std::optional<ConfigDef> BrokerConfig::find_key(std::string_view name) {
  if (const ConfigDef* def = find_broker_key(name)) return *def;
  if (const TopicConfigDef* synonym = find_topic_synonym(name)) {
    ConfigDef renamed = synonym->def;
    renamed.name = synonym->broker_key;
    return renamed;
  }
  return std::nullopt;
}

BrokerConfig& BrokerConfig::operator=(const BrokerConfig& other) {
  values_ = other.values_;
  dynamic_.store(other.dynamic_.load());
  return *this;
}

void BrokerConfig::set_dynamic(const DynamicBrokerConfigs& configs) {
  auto layers = std::make_shared<DynamicBrokerConfigs>();
  layers->cluster_default = applicable_dynamic_broker_configs(configs.cluster_default);
  layers->per_broker = applicable_dynamic_broker_configs(configs.per_broker);
  // Unchanged layers keep their pointer: readers tell a change by it.
  if (*dynamic_.load() != *layers) dynamic_.store(std::move(layers));
}

EffectiveConfig BrokerConfig::lookup(std::string_view key) const {
  auto layers = dynamic_.load();
  if (auto it = layers->per_broker.find(key); it != layers->per_broker.end()) return {it->second, ConfigSource::DynamicBroker};
  if (auto it = layers->cluster_default.find(key); it != layers->cluster_default.end())
    return {it->second, ConfigSource::DynamicDefaultBroker};
  if (auto it = values_.find(std::string(key)); it != values_.end()) return {it->second, ConfigSource::StaticBroker};
  auto def = find_key(key);
  return {def ? def->default_value : "", ConfigSource::Default};
}

std::vector<ConfigSynonym> BrokerConfig::synonyms(std::string_view key, bool per_broker) const {
  auto layers = dynamic_.load();
  auto names = broker_config_synonyms(key);
  std::vector<ConfigSynonym> out;
  auto add_from = [&](const auto& values, ConfigSource source) {
    for (const auto& name : names)
      if (auto it = values.find(name); it != values.end()) out.push_back({name, it->second, source});
  };
  if (per_broker) add_from(layers->per_broker, ConfigSource::DynamicBroker);
  add_from(layers->cluster_default, ConfigSource::DynamicDefaultBroker);
  if (per_broker) {
    add_from(values_, ConfigSource::StaticBroker);
    for (const auto& name : names) {
      auto def = find_key(name);
      if (def && *def->default_value) out.push_back({name, def->default_value, ConfigSource::Default});
    }
  }
  // Kafka drops leading synonyms of other names (its ConfigHelper.configSynonyms).
  auto first = std::find_if(out.begin(), out.end(), [&](const ConfigSynonym& s) { return s.name == key; });
  out.erase(out.begin(), first);
  return out;
}

int64_t BrokerConfig::get_int(std::string_view key) const { return parse_int64(get(key)).value_or(0); }

bool BrokerConfig::get_bool(std::string_view key) const { return parse_bool(get(key)).value_or(false); }

double BrokerConfig::get_double(std::string_view key) const { return parse_double(get(key)).value_or(0); }

std::vector<std::string> BrokerConfig::log_dirs() const {
  auto dirs = split_list(get("log.dirs"));
  if (dirs.empty()) dirs.push_back(get("log.dir"));
  return dirs;
}

std::vector<ListenerAddress> BrokerConfig::listeners() const { return parse_listeners(get("listeners")); }

std::vector<ListenerAddress> BrokerConfig::advertised_listeners() const {
  auto advertised = parse_listeners(get("advertised.listeners"));
  if (!advertised.empty()) return advertised;
  for (auto& l : listeners()) {
    if (is_controller_listener(l.name)) continue;
    if (l.host.empty() || l.host == "0.0.0.0") l.host = "127.0.0.1";
    advertised.push_back(l);
  }
  return advertised;
}

bool BrokerConfig::is_broker() const {
  const auto roles = split_list(get("process.roles"));
  return std::find(roles.begin(), roles.end(), "broker") != roles.end();
}

bool BrokerConfig::is_controller() const {
  const auto roles = split_list(get("process.roles"));
  return std::find(roles.begin(), roles.end(), "controller") != roles.end();
}

bool BrokerConfig::is_controller_listener(std::string_view name) const {
  for (const auto& n : split_list(get("controller.listener.names")))
    if (n == name) return true;
  return false;
}

std::vector<QuorumVoter> BrokerConfig::quorum_voters() const {
  std::vector<QuorumVoter> voters;
  for (const auto& entry : split_list(get("controller.quorum.voters"))) {
    const size_t at = entry.find('@');
    const size_t colon = entry.rfind(':');
    auto id = at == std::string::npos ? std::nullopt : parse_int64(std::string_view(entry).substr(0, at));
    auto port = colon == std::string::npos || colon < at ? std::nullopt : parse_int64(std::string_view(entry).substr(colon + 1));
    if (!id || *id < 0 || *id > INT32_MAX || !port || *port <= 0 || *port > 65535 || colon == at + 1)
      throw std::runtime_error(fmt::format("controller.quorum.voters: '{}' is not of the form id@host:port", entry));
    std::string host = entry.substr(at + 1, colon - at - 1);
    if (host.size() > 1 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    for (const auto& v : voters)
      if (v.id == *id) throw std::runtime_error(fmt::format("controller.quorum.voters: node {} is listed twice", *id));
    voters.push_back({static_cast<int32_t>(*id), host, static_cast<uint16_t>(*port)});
  }
  return voters;
}

std::string BrokerConfig::controller_listener_name() const {
  const auto names = split_list(get("controller.listener.names"));
  return names.empty() ? std::string() : names.front();
}

bool BrokerConfig::dynamic_quorum() const {
  return get("controller.quorum.voters").empty() && !get("controller.quorum.bootstrap.servers").empty();
}

std::vector<QuorumVoter> BrokerConfig::quorum_bootstrap_servers() const {
  std::vector<QuorumVoter> servers;
  for (const auto& entry : split_list(get("controller.quorum.bootstrap.servers"))) {
    const size_t colon = entry.rfind(':');
    auto port = colon == std::string::npos ? std::nullopt : parse_int64(std::string_view(entry).substr(colon + 1));
    if (!port || *port <= 0 || *port > 65535 || colon == 0)
      throw std::runtime_error(fmt::format("controller.quorum.bootstrap.servers: '{}' is not of the form host:port", entry));
    std::string host = entry.substr(0, colon);
    if (host.size() > 1 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    // Kafka's ids for bootstrap servers: -2, -3, ...
    servers.push_back({-2 - static_cast<int32_t>(servers.size()), host, static_cast<uint16_t>(*port)});
  }
  return servers;
}

ListenerAddress BrokerConfig::advertised_listener(std::string_view name) const {
  auto named = [name](const ListenerAddress& l) { return l.name == name; };
  auto advertised = parse_listeners(get("advertised.listeners"));
  if (auto it = std::find_if(advertised.begin(), advertised.end(), named); it != advertised.end()) return *it;
  auto own = listeners();
  if (auto it = std::find_if(own.begin(), own.end(), named); it != own.end()) {
    ListenerAddress address = *it;
    if (address.host.empty() || address.host == "0.0.0.0") address.host = "127.0.0.1";
    return address;
  }
  return advertised_listeners().front();
}

std::vector<ListenerAddress> parse_listeners(std::string_view text) {
  std::vector<ListenerAddress> out;
  for (const auto& item : split_list(text)) {
    size_t scheme = item.find("://");
    if (scheme == std::string::npos) continue;
    size_t colon = item.rfind(':');
    if (colon == std::string::npos || colon < scheme + 3) continue;
    auto port = parse_int64(std::string_view(item).substr(colon + 1));
    if (!port || *port < 0 || *port > 65535) continue;
    std::string host = item.substr(scheme + 3, colon - scheme - 3);
    if (host.size() > 1 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    out.push_back({item.substr(0, scheme), host, static_cast<uint16_t>(*port)});
  }
  return out;
}

}  // namespace freshet::cluster
