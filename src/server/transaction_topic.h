// __transaction_state, the internal compacted topic holding every
// transactional id's state: how it is created (lazily, on the first
// FindCoordinator for a transactional id, as Kafka does) and which partition
// and shard coordinate a given transactional id.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "cluster/controller.h"
#include "cluster/internal_topics.h"
#include "protocol/errors.h"
#include "server/internal_topic.h"

namespace freshet::server {

class Broker;

inline constexpr std::string_view kTransactionTopic = cluster::kTransactionStateTopicName;

// The topic as Kafka creates it: transaction.state.log.num.partitions
// partitions, compacted, transaction.state.log.segment.bytes segments,
// uncompressed, replication transaction.state.log.replication.factor and
// min.insync.replicas transaction.state.log.min.isr (both capped at the live
// brokers, so a single node serves transactions without extra configuration).
cluster::NewTopic transaction_topic_definition(const cluster::BrokerConfig& config, size_t live_brokers);

// Creates the topic unless it exists; done(error) runs on the caller's shard.
void ensure_transaction_topic(Broker& broker, std::function<void(protocol::ErrorCode)> done);

// Where `transactional_id` is coordinated; nullopt while the topic does not exist.
std::optional<CoordinatorRoute> route_transaction(const Broker& broker, const cluster::MetadataImage& image,
                                                  const std::string& transactional_id);

}  // namespace freshet::server
