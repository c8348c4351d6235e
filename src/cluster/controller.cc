#include "cluster/controller.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>

#include "cluster/inert_configs.h"
#include "cluster/internal_topics.h"
#include "cluster/replica_placement.h"
#include "cluster/clock.h"
#include "raft/invariant.h"

namespace freshet::cluster {

using protocol::ErrorCode;

namespace {
TopicResult fail(ErrorCode error, std::string message) { return {error, std::move(message)}; }


// Kafka's QuorumController.MAX_RECORDS_PER_USER_OP: one request may not add
// more partitions than this.
constexpr int32_t kMaxNewPartitionsPerOperation = 10000;

TopicResult check_new_partitions(int32_t new_partitions) {
  if (new_partitions > kMaxNewPartitionsPerOperation)
    return fail(ErrorCode::PolicyViolation, "Unable to perform excessively large batch operation.");
  return {};
}

// Applies SET/DELETE/APPEND/SUBTRACT to `configs`. APPEND and SUBTRACT need a
// list-typed key; `not_a_list` words the refusal (Kafka's broker and
// controller word it differently).
TopicResult apply_changes(ConfigMap& configs, const std::vector<ConfigChange>& changes,
                          std::optional<ConfigDef> (*find_def)(std::string_view),
                          std::string (*not_a_list)(const ConfigChange&)) {
  for (const auto& change : changes) {
    switch (change.op) {
      case ConfigOp::Set:
        if (!change.value) return fail(ErrorCode::InvalidRequest, fmt::format("Null value not supported for : {}", change.name));
        configs[change.name] = *change.value;
        break;
      case ConfigOp::Delete:
        configs.erase(change.name);
        break;
      case ConfigOp::Append:
      case ConfigOp::Subtract: {
        auto def = find_def(change.name);
        if (!def) return fail(ErrorCode::InvalidConfig, fmt::format("Unknown config name: {}", change.name));
        if (def->type != ConfigType::List) return fail(ErrorCode::InvalidConfig, not_a_list(change));
        auto it = configs.find(change.name);
        auto items = split_list(it != configs.end() ? it->second : std::string(def->default_value));
        for (const auto& item : split_list(change.value.value_or(""))) {
          auto found = std::find(items.begin(), items.end(), item);
          if (change.op == ConfigOp::Append && found == items.end()) items.push_back(item);
          if (change.op == ConfigOp::Subtract && found != items.end()) items.erase(found);
        }
        configs[change.name] = fmt::format("{}", fmt::join(items, ","));
        break;
      }
    }
  }
  return {};
}

std::optional<ConfigDef> find_topic_def(std::string_view name) {
  const TopicConfigDef* def = find_topic_config(name);
  return def ? std::optional<ConfigDef>(def->def) : std::nullopt;
}

const char* op_name(ConfigOp op) { return op == ConfigOp::Append ? "APPEND" : "SUBTRACT"; }
}  // namespace

std::optional<std::string> invalid_topic_name_reason(std::string_view name) {
  if (name.empty()) return "Topic name is illegal, it can't be empty";
  if (name == "." || name == "..") return "Topic name cannot be \".\" or \"..\"";
  if (name.size() > 249) return fmt::format("Topic name is illegal, it can't be longer than 249 characters, topic name: {}", name);
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok)
      return fmt::format("Topic name {} is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'", name);
  }
  return std::nullopt;
}

// Kafka's metric-name collision rule: '.' and '_' are the same character.
std::optional<std::string> Controller::colliding_topic(std::string_view name) const {
  auto normalized = [](std::string_view text) {
    std::string out(text);
    std::replace(out.begin(), out.end(), '.', '_');
    return out;
  };
  if (name.find_first_of("._") == std::string::npos) return std::nullopt;
  std::string key = normalized(name);
  for (const auto& [existing, topic] : latest_->topics())
    if (existing != name && normalized(existing) == key) return existing;
  return std::nullopt;
}

Controller::Controller(BrokerConfig& config, MetadataProposer& quorum, Publisher publish, uint64_t seed)
    : config_(config),
      quorum_(quorum),
      random_(seed),
      image_(std::make_shared<MetadataImage>()),
      latest_(image_),
      publish_(std::move(publish)) {}

void Controller::apply_committed(std::span<const MetadataRecord> records) {
  auto next = std::make_shared<MetadataImage>(*image_);
  for (const auto& r : records) next->apply(r);
  publish_committed(std::move(next));
}

void Controller::load_snapshot(std::span<const MetadataRecord> records) {
  auto next = std::make_shared<MetadataImage>();
  for (const auto& r : records) next->apply(r);
  publish_committed(std::move(next));
}

void Controller::publish_committed(std::shared_ptr<const MetadataImage> next) {
  image_ = std::move(next);
  // Nothing of ours in flight: the latest image is the committed one (on
  // followers, always).
  if (quorum_.applied_offset() >= proposed_end_ || !quorum_.leading()) latest_ = image_;
  config_.set_dynamic(image_->dynamic_broker_configs(config_.node_id()));
  publish_(image_);
}

void Controller::resigned() {
  latest_ = image_;
  last_heartbeat_ms_.clear();  // the next leader keeps the sessions
  proposed_end_ = 0;  // what was proposed is the next leader's to keep or drop
}

TopicResult Controller::check_replication(int32_t partitions, int16_t replication_factor) const {
  if (partitions <= 0) return fail(ErrorCode::InvalidPartitions, "Number of partitions was set to an invalid non-positive value.");
  if (auto too_many = check_new_partitions(partitions); too_many.error != ErrorCode::None) return too_many;
  if (replication_factor <= 0)
    return fail(ErrorCode::InvalidReplicationFactor, "Replication factor must be larger than 0, or -1 to use the default value.");
  auto brokers = live_brokers();
  if (static_cast<size_t>(replication_factor) > brokers.size())
    return fail(ErrorCode::InvalidReplicationFactor,
                fmt::format("Unable to replicate the partition {} time(s): The target replication factor of {} cannot be "
                            "reached because only {} broker(s) are registered.",
                            replication_factor, replication_factor, brokers.size()));
  return {};
}

std::vector<MetadataRecord> Controller::partition_records(const protocol::Uuid& topic_id, int32_t first, int32_t count,
                                                          int16_t replication_factor) {
  std::vector<MetadataRecord> records;
  std::vector<PlacementBroker> live;
  for (int32_t id : live_brokers()) live.push_back({id, latest_->broker(id)->rack});
  const std::vector<int32_t> brokers = rack_alternated(std::move(live));
  RAFT_ASSERT(!brokers.empty() && static_cast<size_t>(replication_factor) <= brokers.size());
  // Replicas striped along the rack-alternated brokers from a random one
  // on, so that leaders spread over brokers and racks.
  const auto start = static_cast<size_t>(random_() % brokers.size());
  for (int32_t p = first; p < first + count; ++p) {
    protocol::PartitionRecord record;
    record.partition_id = p;
    record.topic_id = topic_id;
    for (int16_t r = 0; r < replication_factor; ++r)
      record.replicas.push_back(brokers[(start + static_cast<size_t>(p) + static_cast<size_t>(r)) % brokers.size()]);
    record.isr = record.replicas;
    record.leader = record.replicas.front();
    record.leader_epoch = 0;
    record.partition_epoch = 0;
    records.emplace_back(std::move(record));
  }
  return records;
}

MetadataRecord Controller::assigned_partition(const protocol::Uuid& topic_id, int32_t partition,
                                              const std::vector<int32_t>& replicas) const {
  protocol::PartitionRecord record;
  record.partition_id = partition;
  record.topic_id = topic_id;
  record.replicas = replicas;
  record.isr = replicas;
  record.leader = replicas.front();
  record.leader_epoch = 0;
  record.partition_epoch = 0;
  return record;
}

TopicResult Controller::create_topic(const NewTopic& topic, bool validate_only) {
  if (auto reason = invalid_topic_name_reason(topic.name)) return fail(ErrorCode::InvalidTopicException, *reason);
  if (topic.name == kMetadataTopicName)
    return fail(ErrorCode::InvalidTopicException, fmt::format("Creation of internal topic {} is not allowed.", topic.name));
  if (latest_->topic(topic.name)) return fail(ErrorCode::TopicAlreadyExists, fmt::format("Topic '{}' already exists.", topic.name));
  if (auto colliding = colliding_topic(topic.name))
    return fail(ErrorCode::InvalidTopicException,
                fmt::format("Topic '{}' collides with existing topic: {}", topic.name, *colliding));
  int32_t partitions = topic.partitions;
  int16_t replication = topic.replication_factor;
  if (!topic.assignments.empty()) {
    if (partitions != -1 || replication != -1)
      return fail(ErrorCode::InvalidRequest, "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.");
    partitions = static_cast<int32_t>(topic.assignments.size());
    replication = static_cast<int16_t>(topic.assignments.front().size());
    auto brokers = live_brokers();
    for (const auto& replicas : topic.assignments) {
      if (replicas.size() != static_cast<size_t>(replication))
        return fail(ErrorCode::InvalidReplicaAssignment, "All partitions should have the same number of replicas.");
      for (int32_t broker : replicas)
        if (std::find(brokers.begin(), brokers.end(), broker) == brokers.end())
          return fail(ErrorCode::InvalidReplicaAssignment, fmt::format("The manual partition assignment includes broker {}, but no broker with that id is registered.", broker));
    }
  }
  if (partitions == -1) partitions = static_cast<int32_t>(config_.get_int("num.partitions"));
  if (replication == -1) replication = static_cast<int16_t>(config_.get_int("default.replication.factor"));
  if (auto result = check_replication(partitions, replication); result.error != ErrorCode::None) return result;
  if (auto problem = validate_topic_configs(topic.configs)) return fail(ErrorCode::InvalidConfig, *problem);
  if (validate_only) return {};

  protocol::TopicRecord record;
  record.name = topic.name;
  record.topic_id = protocol::Uuid::random(random_);
  std::vector<MetadataRecord> records{record};
  if (topic.assignments.empty()) {
    for (auto& p : partition_records(record.topic_id, 0, partitions, replication)) records.push_back(std::move(p));
  } else {
    for (int32_t p = 0; p < partitions; ++p) records.push_back(assigned_partition(record.topic_id, p, topic.assignments[p]));
  }
  for (auto& c : config_diff(kTopicResource, topic.name, {}, topic.configs)) records.push_back(std::move(c));
  auto result = commit(std::move(records));
  if (result.error == ErrorCode::None) {
    spdlog::info("creating topic {} with {} partition(s), id {}", topic.name, partitions, record.topic_id.to_base64());
    if (topic.name.find_first_of("._") != std::string::npos && !is_internal_topic(topic.name))
      spdlog::warn("topic {}: due to limitations in metric names, topics with a period ('.') or underscore ('_') "
                   "could collide; avoid using both",
                   topic.name);
  }
  return result;
}

TopicResult Controller::delete_topic(const std::string& name) {
  const TopicInfo* topic = latest_->topic(name);
  if (!topic) return fail(ErrorCode::UnknownTopicOrPartition, "This server does not host this topic-partition.");
  if (!config_.get_bool("delete.topic.enable")) return fail(ErrorCode::TopicDeletionDisabled, "Topic deletion is disabled.");
  if (is_internal_topic(name))
    return fail(ErrorCode::InvalidTopicException,
                fmt::format("Topic {} is a kafka internal topic and is not allowed to be marked for deletion.", name));
  protocol::RemoveTopicRecord record;
  record.topic_id = topic->id;
  auto result = commit({record});
  if (result.error == ErrorCode::None) spdlog::info("deleting topic {}", name);
  return result;
}

TopicResult Controller::create_partitions(const std::string& name, int32_t total_count, bool validate_only) {
  const TopicInfo* topic = latest_->topic(name);
  if (!topic) return fail(ErrorCode::UnknownTopicOrPartition, fmt::format("The topic '{}' does not exist.", name));
  // A group's or transaction's coordinator is the partition its id hashes to.
  if (is_internal_topic(name))
    return fail(ErrorCode::InvalidPartitions,
                fmt::format("Topic {} is a kafka internal topic: its partition count cannot change.", name));
  auto current = static_cast<int32_t>(topic->partitions.size());
  if (total_count < current)
    return fail(ErrorCode::InvalidPartitions,
                fmt::format("The topic {} currently has {} partition(s); {} would not be an increase.", name, current, total_count));
  if (total_count == current)
    return fail(ErrorCode::InvalidPartitions, fmt::format("Topic already has {} partition(s).", current));
  if (auto too_many = check_new_partitions(total_count - current); too_many.error != ErrorCode::None) return too_many;
  if (total_count > kMaxPartitionsPerTopic)
    return fail(ErrorCode::InvalidPartitions,
                fmt::format("A topic may have at most {} partitions.", kMaxPartitionsPerTopic));
  const auto replication = static_cast<int16_t>(topic->partitions.empty() ? 1 : topic->partitions[0].replicas.size());
  if (auto check = check_replication(total_count - current, replication); check.error != ErrorCode::None) return check;
  if (validate_only) return {};
  auto result = commit(partition_records(topic->id, current, total_count - current, replication));
  if (result.error == ErrorCode::None) spdlog::info("growing topic {} to {} partitions", name, total_count);
  return result;
}

std::vector<MetadataRecord> Controller::config_diff(int8_t resource_type, const std::string& resource_name,
                                                    const ConfigMap& before, const ConfigMap& after) const {
  std::vector<MetadataRecord> records;
  auto record = [&](const std::string& key, std::optional<std::string> value) {
    protocol::ConfigRecord r;
    r.resource_type = resource_type;
    r.resource_name = resource_name;
    r.name = key;
    r.value = std::move(value);
    records.emplace_back(std::move(r));
  };
  for (const auto& [key, value] : after) {
    if (auto it = before.find(key); it != before.end() && it->second == value) continue;
    record(key, value);
    if (const char* reason = inert_config_reason(key))
      spdlog::warn("{} {}: {}={} has no effect: {}", resource_type == kTopicResource ? "topic" : "broker config",
                   resource_name, key, value, reason);
  }
  for (const auto& [key, value] : before)
    if (!after.count(key)) record(key, std::nullopt);
  return records;
}

TopicResult Controller::replace_topic_configs(const std::string& name, const ConfigMap& configs, bool validate_only) {
  const TopicInfo* topic = latest_->topic(name);
  if (!topic) return fail(ErrorCode::UnknownTopicOrPartition, fmt::format("The topic '{}' does not exist.", name));
  if (auto problem = validate_topic_configs(configs)) return fail(ErrorCode::InvalidConfig, *problem);
  if (validate_only) return {};
  return commit(config_diff(kTopicResource, name, topic->configs, configs));
}

TopicResult Controller::alter_topic_configs(const std::string& name, const std::vector<ConfigChange>& changes, bool validate_only) {
  const TopicInfo* topic = latest_->topic(name);
  if (!topic) return fail(ErrorCode::UnknownTopicOrPartition, fmt::format("The topic '{}' does not exist.", name));
  for (const auto& change : changes)
    if (!find_topic_config(change.name)) return fail(ErrorCode::InvalidConfig, fmt::format("Unknown topic config name: {}", change.name));
  ConfigMap after = topic->configs;
  // KRaft's controller words it so (ConfigurationControlManager).
  auto not_a_list = [](const ConfigChange& c) {
    return fmt::format("Can't {} to key {} because its type is not LIST.", op_name(c.op), c.name);
  };
  if (auto result = apply_changes(after, changes, find_topic_def, not_a_list); result.error != ErrorCode::None) return result;
  if (auto problem = validate_topic_configs(after)) return fail(ErrorCode::InvalidConfig, *problem);
  if (validate_only) return {};
  return commit(config_diff(kTopicResource, name, topic->configs, after));
}

TopicResult Controller::check_broker_resource(const std::string& resource_name) const {
  if (resource_name.empty()) return {};
  auto id = parse_int64(resource_name);
  if (!id || *id < INT32_MIN || *id > INT32_MAX)
    return fail(ErrorCode::InvalidRequest, fmt::format("Node id must be an integer, but it is: {}", resource_name));
  return {};
}

TopicResult Controller::commit_broker_configs(const std::string& resource_name, const ConfigMap& before, const ConfigMap& after,
                                              bool validate_only) {
  if (auto problem = invalid_dynamic_broker_configs(after)) return fail(ErrorCode::InvalidRequest, *problem);
  if (validate_only) return {};
  auto records = config_diff(kBrokerResource, resource_name, before, after);
  auto result = commit(records);
  if (result.error == ErrorCode::None && !records.empty())
    spdlog::info("changing dynamic configs of {}: {} key(s)", resource_name.empty() ? "the cluster default" : "broker " + resource_name,
                 records.size());
  return result;
}

TopicResult Controller::replace_broker_configs(const std::string& resource_name, const ConfigMap& configs, bool validate_only) {
  if (auto result = check_broker_resource(resource_name); result.error != ErrorCode::None) return result;
  return commit_broker_configs(resource_name, latest_->broker_configs(resource_name), configs, validate_only);
}

TopicResult Controller::alter_broker_configs(const std::string& resource_name, const std::vector<ConfigChange>& changes,
                                             bool validate_only) {
  if (auto result = check_broker_resource(resource_name); result.error != ErrorCode::None) return result;
  // Kafka's broker starts from the stored set it can apply (fromPersistentProps).
  const ConfigMap before = applicable_dynamic_broker_configs(latest_->broker_configs(resource_name));
  ConfigMap after = before;
  auto not_a_list = [](const ConfigChange& c) {
    return fmt::format("Config value {} is not allowed for config key: {}", c.op == ConfigOp::Append ? "append" : "subtract", c.name);
  };
  if (auto result = apply_changes(after, changes, BrokerConfig::find_key, not_a_list); result.error != ErrorCode::None) return result;
  return commit_broker_configs(resource_name, before, after, validate_only);
}

TopicResult Controller::commit(std::vector<MetadataRecord> records) {
  if (records.empty()) return {};
  if (!quorum_.active()) return fail(ErrorCode::NotController, "This node is not the active controller.");
  const bool alone = !batch_;
  if (alone) begin_batch();
  // The next operation validates against what this one will have made.
  if (!batch_->image) batch_->image = std::make_shared<MetadataImage>(*latest_);
  for (auto& r : records) {
    batch_->image->apply(r);
    batch_->records.push_back(std::move(r));
  }
  latest_ = batch_->image;
  return alone ? end_batch() : TopicResult{};
}

void Controller::begin_batch() {
  RAFT_ASSERT(!batch_);
  batch_.emplace();
  batch_->before = latest_;
}

TopicResult Controller::end_batch() {
  RAFT_ASSERT(batch_);
  Batch batch = std::move(*batch_);
  batch_.reset();
  if (batch.records.empty()) return {};
  std::optional<int64_t> end;
  try {
    end = quorum_.propose(batch.records, monotonic_ms());
  } catch (const std::exception& e) {
    latest_ = batch.before;
    spdlog::error("metadata log append failed: {}", e.what());
    return fail(ErrorCode::KafkaStorageError, e.what());
  }
  if (!end) {
    latest_ = batch.before;
    return fail(ErrorCode::NotController, "This node is not the active controller.");
  }
  proposed_end_ = *end;
  return {};
}

QuorumCallbacks controller_callbacks(const std::unique_ptr<Controller>& controller) {
  QuorumCallbacks callbacks;
  callbacks.committed = [&controller](auto records) { controller->apply_committed(records); };
  callbacks.loaded = [&controller](auto records) { controller->load_snapshot(records); };
  callbacks.image_records = [&controller] { return controller->image()->records(); };
  callbacks.resigned = [&controller] { controller->resigned(); };
  return callbacks;
}

}  // namespace freshet::cluster
