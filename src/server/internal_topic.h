// Creating an internal topic (__consumer_offsets, __transaction_state) the
// way Kafka does: lazily, by the first FindCoordinator that needs it, with its
// replication factor capped at the live brokers so a single node serves
// without extra configuration.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "cluster/controller.h"
#include "protocol/errors.h"

namespace freshet::server {

class Broker;

// Builds the topic's definition for a cluster of `live_brokers`.
using InternalTopicDefinition = std::function<cluster::NewTopic(size_t live_brokers)>;

// Creates the topic unless it exists; done(error) runs on the caller's shard
// (COORDINATOR_NOT_AVAILABLE when creating failed: the client retries).
void ensure_internal_topic(Broker& broker, const std::string& name, InternalTopicDefinition definition,
                           std::function<void(protocol::ErrorCode)> done);

// The partition of an internal topic coordinating `key` (a group id or a
// transactional id: Kafka hashes both alike) and the shard owning it.
struct CoordinatorRoute {
  int32_t partition;
  unsigned shard;
};
// nullopt while the topic does not exist.
std::optional<CoordinatorRoute> route_coordinator_key(const Broker& broker, const cluster::MetadataImage& image,
                                                      std::string_view topic_name, const std::string& key);

// The replication factor `key` names, capped at `live_brokers`.
int16_t internal_replication_factor(const cluster::BrokerConfig& config, const char* key, size_t live_brokers);

}  // namespace freshet::server
