#include "cluster/metadata_image.h"

#include <algorithm>

namespace freshet::cluster {

const TopicInfo* MetadataImage::topic(std::string_view name) const {
  auto it = topics_.find(name);
  return it == topics_.end() ? nullptr : it->second.get();
}

const TopicInfo* MetadataImage::topic(const protocol::Uuid& id) const {
  auto it = names_by_id_.find(id);
  return it == names_by_id_.end() ? nullptr : topic(it->second);
}

// Copy-on-write: topics are shared between images until one changes.
TopicInfo& MetadataImage::mutable_topic(const protocol::Uuid& id) {
  auto& slot = topics_.find(names_by_id_.at(id))->second;  // the two maps always agree
  // Copied on the first write only: while no other image shares it, this
  // image's topic is its own (made non-const by make_shared below), so a
  // batch of changes to one topic costs one copy, not one per record.
  if (slot.use_count() == 1) return const_cast<TopicInfo&>(*slot);
  auto copy = std::make_shared<TopicInfo>(*slot);
  slot = copy;
  return *copy;
}

const ConfigMap& MetadataImage::broker_configs(std::string_view resource_name) const {
  static const ConfigMap kNone;
  auto it = broker_configs_.find(resource_name);
  return it == broker_configs_.end() ? kNone : it->second;
}

DynamicBrokerConfigs MetadataImage::dynamic_broker_configs(int32_t node_id) const {
  return {broker_configs(""), broker_configs(std::to_string(node_id))};
}

const BrokerInfo::Endpoint* BrokerInfo::endpoint(std::string_view listener) const {
  for (const auto& e : endpoints)
    if (e.listener == listener) return &e;
  return nullptr;
}

const BrokerInfo* MetadataImage::broker(int32_t id) const {
  auto it = brokers_.find(id);
  return it == brokers_.end() ? nullptr : &it->second;
}

std::vector<int32_t> MetadataImage::live_brokers() const {
  std::vector<int32_t> ids;
  for (const auto& [id, broker] : brokers_)
    if (!broker.fenced) ids.push_back(id);
  return ids;
}

void MetadataImage::apply_broker_record(const MetadataRecord& record) {
  if (auto* r = std::get_if<protocol::RegisterBrokerRecord>(&record)) {
    BrokerInfo info;
    info.id = r->broker_id;
    info.epoch = r->broker_epoch;
    info.incarnation = r->incarnation_id;
    for (const auto& e : r->end_points) info.endpoints.push_back({e.name, e.host, e.port});
    info.rack = r->rack;
    info.fenced = r->fenced;
    brokers_[r->broker_id] = std::move(info);
  } else if (auto* f = std::get_if<protocol::FenceBrokerRecord>(&record)) {
    if (auto it = brokers_.find(f->id); it != brokers_.end() && it->second.epoch == f->epoch) it->second.fenced = true;
  } else if (auto* u = std::get_if<protocol::UnfenceBrokerRecord>(&record)) {
    if (auto it = brokers_.find(u->id); it != brokers_.end() && it->second.epoch == u->epoch) it->second.fenced = false;
  }
}

void MetadataImage::apply_partition_change(const protocol::PartitionChangeRecord& change) {
  // Kafka's PartitionChangeRecord sentinels.
  constexpr int32_t kNoLeaderChange = -2;
  if (!names_by_id_.count(change.topic_id)) return;
  const TopicInfo* topic = this->topic(change.topic_id);
  if (change.partition_id < 0 || static_cast<size_t>(change.partition_id) >= topic->partitions.size()) return;
  PartitionInfo& info = mutable_topic(change.topic_id).partitions[change.partition_id];
  if (change.replicas) info.replicas = *change.replicas;
  if (change.isr) info.isr = *change.isr;
  // Kafka's PartitionRegistration.merge: naming a leader, even the same
  // one, starts a new leader epoch; every change a new partition epoch.
  if (change.leader != kNoLeaderChange) {
    info.leader = change.leader;
    ++info.leader_epoch;
  }
  ++info.partition_epoch;
}

void MetadataImage::apply(const MetadataRecord& record) {
  if (auto* t = std::get_if<protocol::TopicRecord>(&record)) {
    if (auto old = topics_.find(t->name); old != topics_.end()) names_by_id_.erase(old->second->id);
    if (auto old = names_by_id_.find(t->topic_id); old != names_by_id_.end()) {
      topics_.erase(old->second);
      names_by_id_.erase(old);
    }
    auto info = std::make_shared<TopicInfo>();
    info->name = t->name;
    info->id = t->topic_id;
    topics_[t->name] = info;
    names_by_id_[t->topic_id] = t->name;
  } else if (auto* p = std::get_if<protocol::PartitionRecord>(&record)) {
    if (!names_by_id_.count(p->topic_id) || p->partition_id < 0 || p->partition_id >= kMaxPartitionsPerTopic) return;
    TopicInfo& topic = mutable_topic(p->topic_id);
    if (static_cast<size_t>(p->partition_id) >= topic.partitions.size()) topic.partitions.resize(p->partition_id + 1);
    PartitionInfo& info = topic.partitions[p->partition_id];
    info.partition = p->partition_id;
    info.replicas = p->replicas;
    info.isr = p->isr;
    info.leader = p->leader;
    info.leader_epoch = p->leader_epoch;
    info.partition_epoch = p->partition_epoch;
  } else if (auto* change = std::get_if<protocol::PartitionChangeRecord>(&record)) {
    apply_partition_change(*change);
  } else if (auto* c = std::get_if<protocol::ConfigRecord>(&record)) {
    ConfigMap* target = nullptr;
    if (c->resource_type == kBrokerResource) {
      target = &broker_configs_[c->resource_name];
    } else if (c->resource_type == kTopicResource && topics_.count(c->resource_name)) {
      auto id = topics_.at(c->resource_name)->id;
      target = &mutable_topic(id).configs;
    }
    if (!target) return;
    if (c->value)
      (*target)[c->name] = *c->value;
    else
      target->erase(c->name);
  } else if (auto* r = std::get_if<protocol::RemoveTopicRecord>(&record)) {
    auto it = names_by_id_.find(r->topic_id);
    if (it == names_by_id_.end()) return;
    topics_.erase(it->second);
    names_by_id_.erase(it);
  } else if (auto* ids = std::get_if<protocol::ProducerIdsRecord>(&record)) {
    // Blocks only move forward, so an id is never handed out twice.
    next_producer_id_ = std::max(next_producer_id_, ids->next_producer_id);
  } else if (auto* feature = std::get_if<protocol::FeatureLevelRecord>(&record)) {
    if (feature->feature_level == 0)
      features_.erase(feature->name);
    else
      features_[feature->name] = feature->feature_level;
  } else {
    apply_broker_record(record);
  }
}

namespace {
protocol::ConfigRecord config_record(int8_t resource_type, const std::string& resource, const std::string& name,
                                     const std::string& value) {
  protocol::ConfigRecord record;
  record.resource_type = resource_type;
  record.resource_name = resource;
  record.name = name;
  record.value = value;
  return record;
}
}  // namespace

protocol::RegisterBrokerRecord registration_record(const BrokerInfo& broker) {
  protocol::RegisterBrokerRecord record;
  record.broker_id = broker.id;
  record.broker_epoch = broker.epoch;
  record.incarnation_id = broker.incarnation;
  for (const auto& e : broker.endpoints) {
    protocol::RegisterBrokerRecord::BrokerEndpoint endpoint;
    endpoint.name = e.listener;
    endpoint.host = e.host;
    endpoint.port = e.port;
    endpoint.security_protocol = 0;  // PLAINTEXT
    record.end_points.push_back(std::move(endpoint));
  }
  record.rack = broker.rack;
  record.fenced = broker.fenced;
  return record;
}

std::optional<int16_t> MetadataImage::feature_level(std::string_view name) const {
  auto it = features_.find(name);
  if (it == features_.end()) return std::nullopt;
  return it->second;
}

std::vector<MetadataRecord> MetadataImage::records() const {
  std::vector<MetadataRecord> out;
  // The feature levels first, as Kafka's snapshots begin with metadata.version.
  for (const auto& [name, level] : features_) {
    protocol::FeatureLevelRecord feature;
    feature.name = name;
    feature.feature_level = level;
    out.push_back(std::move(feature));
  }
  for (const auto& [id, broker] : brokers_) out.push_back(registration_record(broker));
  for (const auto& [resource, configs] : broker_configs_)
    for (const auto& [name, value] : configs) out.push_back(config_record(kBrokerResource, resource, name, value));
  for (const auto& [name, topic] : topics_) {
    protocol::TopicRecord record;
    record.name = name;
    record.topic_id = topic->id;
    out.push_back(std::move(record));
    for (const auto& p : topic->partitions) {
      protocol::PartitionRecord partition;
      partition.partition_id = p.partition;
      partition.topic_id = topic->id;
      partition.replicas = p.replicas;
      partition.isr = p.isr;
      partition.leader = p.leader;
      partition.leader_epoch = p.leader_epoch;
      partition.partition_epoch = p.partition_epoch;
      out.push_back(std::move(partition));
    }
    for (const auto& [key, value] : topic->configs) out.push_back(config_record(kTopicResource, name, key, value));
  }
  if (next_producer_id_ > 0) {
    protocol::ProducerIdsRecord ids;
    ids.next_producer_id = next_producer_id_;
    out.push_back(std::move(ids));
  }
  return out;
}

namespace {
template <typename T>
void encode_framed(protocol::Writer& w, const T& body) {
  w.uvarint(1);
  w.uvarint(T::kApiKey);
  w.uvarint(static_cast<uint32_t>(T::kMaxVersion));
  body.encode(w, T::kMaxVersion);
}

template <typename T>
MetadataRecord decode_body(protocol::Reader& r, int16_t version) {
  if (version < T::kMinVersion || version > T::kMaxVersion)
    throw protocol::DecodeError("unsupported metadata record version " + std::to_string(version));
  T body;
  body.decode(r, version);
  return body;
}
}  // namespace

std::vector<uint8_t> encode_metadata_record(const MetadataRecord& record) {
  protocol::Writer w;
  std::visit([&](const auto& body) { encode_framed(w, body); }, record);
  return w.take();
}

std::optional<MetadataRecord> decode_metadata_record(std::span<const uint8_t> bytes) {
  protocol::Reader r(bytes);
  if (r.uvarint() != 1) throw protocol::DecodeError("unknown metadata frame version");
  uint32_t type = r.uvarint();
  auto version = static_cast<int16_t>(r.uvarint());
  switch (type) {
    case protocol::TopicRecord::kApiKey: return decode_body<protocol::TopicRecord>(r, version);
    case protocol::PartitionRecord::kApiKey: return decode_body<protocol::PartitionRecord>(r, version);
    case protocol::ConfigRecord::kApiKey: return decode_body<protocol::ConfigRecord>(r, version);
    case protocol::RemoveTopicRecord::kApiKey: return decode_body<protocol::RemoveTopicRecord>(r, version);
    case protocol::ProducerIdsRecord::kApiKey: return decode_body<protocol::ProducerIdsRecord>(r, version);
    case protocol::RegisterBrokerRecord::kApiKey: return decode_body<protocol::RegisterBrokerRecord>(r, version);
    case protocol::FenceBrokerRecord::kApiKey: return decode_body<protocol::FenceBrokerRecord>(r, version);
    case protocol::UnfenceBrokerRecord::kApiKey: return decode_body<protocol::UnfenceBrokerRecord>(r, version);
    case protocol::FeatureLevelRecord::kApiKey: return decode_body<protocol::FeatureLevelRecord>(r, version);
    case protocol::PartitionChangeRecord::kApiKey: return decode_body<protocol::PartitionChangeRecord>(r, version);
    default: return std::nullopt;
  }
}

}  // namespace freshet::cluster
