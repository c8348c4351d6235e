// __consumer_offsets, the internal compacted topic holding every group's
// state: how it is created (lazily, on the first FindCoordinator for a group,
// as Kafka does) and which partition and shard coordinate a given group.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "cluster/controller.h"
#include "cluster/internal_topics.h"
#include "coordinator/group_config.h"
#include "protocol/errors.h"
#include "server/internal_topic.h"

namespace freshet::server {

class Broker;

inline constexpr std::string_view kOffsetsTopic = cluster::kOffsetsTopicName;

// The topic as Kafka creates it: offsets.topic.num.partitions partitions,
// compacted, offsets.topic.segment.bytes segments, replication
// offsets.topic.replication.factor (capped at the live brokers).
cluster::NewTopic offsets_topic_definition(const cluster::BrokerConfig& config, size_t live_brokers);

// Creates the topic unless it exists; done(error) runs on the caller's shard.
void ensure_offsets_topic(Broker& broker, std::function<void(protocol::ErrorCode)> done);

using GroupRoute = CoordinatorRoute;  // a partition of __consumer_offsets
// Where `group_id` is coordinated; nullopt while the topic does not exist.
std::optional<GroupRoute> route_group(const Broker& broker, const cluster::MetadataImage& image,
                                      const std::string& group_id);

// The group.* and offsets.* settings the coordinator obeys.
coordinator::GroupConfig group_config(const cluster::BrokerConfig& config);

}  // namespace freshet::server
