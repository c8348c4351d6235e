// The cluster metadata image: an immutable snapshot of topics, partitions,
// configs (of topics and of BROKER resources), the registered brokers and the
// producer ids handed out, built by applying metadata records (KRaft's
// TopicRecord, PartitionRecord, PartitionChangeRecord, ConfigRecord, RemoveTopicRecord,
// ProducerIdsRecord, RegisterBrokerRecord, FenceBrokerRecord,
// UnfenceBrokerRecord) in log order. Readers on any shard hold a shared_ptr to
// one image; writers build the next one.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "cluster/dynamic_broker_config.h"
#include "cluster/topic_config.h"
#include "protocol/messages.h"

namespace freshet::cluster {

struct PartitionInfo {
  int32_t partition = 0;
  std::vector<int32_t> replicas;
  std::vector<int32_t> isr;
  int32_t leader = -1;
  int32_t leader_epoch = 0;
  int32_t partition_epoch = 0;
};

// A broker the controller registered (RegisterBrokerRecord): where clients
// reach it, listener by listener, and whether it is fenced (no leadership
// and no new replicas for it).
struct BrokerInfo {
  struct Endpoint {
    std::string listener;
    std::string host;
    uint16_t port = 0;
  };
  int32_t id = -1;
  int64_t epoch = -1;  // the offset of its registration
  protocol::Uuid incarnation;
  std::vector<Endpoint> endpoints;
  std::optional<std::string> rack;
  bool fenced = true;

  const Endpoint* endpoint(std::string_view listener) const;
};

struct TopicInfo {
  std::string name;
  protocol::Uuid id;
  std::vector<PartitionInfo> partitions;  // index == partition id
  ConfigMap configs;                      // dynamic overrides only
};

using MetadataRecord =
    std::variant<protocol::TopicRecord, protocol::PartitionRecord, protocol::ConfigRecord, protocol::RemoveTopicRecord,
                 protocol::ProducerIdsRecord, protocol::RegisterBrokerRecord, protocol::FenceBrokerRecord,
                 protocol::UnfenceBrokerRecord, protocol::FeatureLevelRecord, protocol::PartitionChangeRecord>;

// metadata.version, as Kafka numbers its levels: 3.9-IV0, the record
// formats this version writes and reads.
inline constexpr std::string_view kMetadataVersionFeature = "metadata.version";
inline constexpr int16_t kMetadataVersionLevel = 21;

// The most partitions one topic may have: the controller refuses more, and a
// PartitionRecord beyond it (a corrupt log) is ignored rather than sizing the
// topic's partition table after it.
constexpr int32_t kMaxPartitionsPerTopic = 1 << 20;

// ConfigRecord resource types (Kafka's ConfigResource.Type).
constexpr int8_t kTopicResource = 2;
constexpr int8_t kBrokerResource = 4;

struct UuidHash {
  size_t operator()(const protocol::Uuid& u) const { return std::hash<uint64_t>()(u.hi * 31 + u.lo); }
};

class MetadataImage {
 public:
  using TopicPtr = std::shared_ptr<const TopicInfo>;

  const TopicInfo* topic(std::string_view name) const;
  const TopicInfo* topic(const protocol::Uuid& id) const;
  const std::map<std::string, TopicPtr, std::less<>>& topics() const { return topics_; }
  // Dynamic configs of one BROKER resource ("" = cluster-wide default,
  // "<node.id>" = that broker), as its ConfigRecords left them.
  const ConfigMap& broker_configs(std::string_view resource_name) const;
  // The dynamic layers that apply to node `node_id`.
  DynamicBrokerConfigs dynamic_broker_configs(int32_t node_id) const;
  // Every registered broker, by id.
  const std::map<int32_t, BrokerInfo>& brokers() const { return brokers_; }
  const BrokerInfo* broker(int32_t id) const;
  // The ids of the registered, unfenced brokers, ascending.
  std::vector<int32_t> live_brokers() const;
  // The first producer id no broker has been given yet: every id below it
  // belongs to a block some broker was allocated (ProducerIdsRecord).
  int64_t next_producer_id() const { return next_producer_id_; }
  // A finalized feature's level (FeatureLevelRecord); nullopt when not finalized.
  std::optional<int16_t> feature_level(std::string_view name) const;

  // The records that rebuild this image when applied to an empty one (what
  // a snapshot holds).
  std::vector<MetadataRecord> records() const;

  // Applies one record; unknown topic ids in later records are ignored (a
  // record for a topic removed earlier in the same log). A TopicRecord
  // reusing a name or an id replaces the topic that had it.
  void apply(const MetadataRecord& record);

 private:
  TopicInfo& mutable_topic(const protocol::Uuid& id);
  // RegisterBrokerRecord, FenceBrokerRecord, UnfenceBrokerRecord; a fence or
  // unfence of another epoch (an older registration) is ignored.
  void apply_broker_record(const MetadataRecord& record);
  // A partition's new replicas, ISR or leader (unknown partitions ignored).
  void apply_partition_change(const protocol::PartitionChangeRecord& change);

  std::map<std::string, TopicPtr, std::less<>> topics_;
  std::unordered_map<protocol::Uuid, std::string, UuidHash> names_by_id_;
  std::map<std::string, ConfigMap, std::less<>> broker_configs_;  // by resource name
  std::map<int32_t, BrokerInfo> brokers_;
  int64_t next_producer_id_ = 0;
  std::map<std::string, int16_t, std::less<>> features_;
};

// The RegisterBrokerRecord that registers `broker` as it is.
protocol::RegisterBrokerRecord registration_record(const BrokerInfo& broker);

// Metadata records framed as KRaft frames them inside record values:
// uvarint frame version (1), uvarint record type, uvarint record version, body.
std::vector<uint8_t> encode_metadata_record(const MetadataRecord& record);
// Throws protocol::DecodeError for malformed bytes; returns nullopt for record
// types this version does not apply (they are skipped on replay).
std::optional<MetadataRecord> decode_metadata_record(std::span<const uint8_t> bytes);

}  // namespace freshet::cluster
