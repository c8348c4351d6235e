#include "server/transaction_topic.h"

#include <algorithm>

#include "server/broker.h"
#include "server/internal_topic.h"

namespace freshet::server {

cluster::NewTopic transaction_topic_definition(const cluster::BrokerConfig& config, size_t live_brokers) {
  cluster::NewTopic topic;
  topic.name = std::string(kTransactionTopic);
  topic.partitions = static_cast<int32_t>(config.get_int("transaction.state.log.num.partitions"));
  topic.replication_factor =
      internal_replication_factor(config, "transaction.state.log.replication.factor", live_brokers);
  topic.configs["cleanup.policy"] = "compact";
  topic.configs["compression.type"] = "uncompressed";
  topic.configs["segment.bytes"] = std::to_string(config.get_int("transaction.state.log.segment.bytes"));
  topic.configs["min.insync.replicas"] = std::to_string(
      std::min<int64_t>(config.get_int("transaction.state.log.min.isr"), topic.replication_factor));
  return topic;
}

void ensure_transaction_topic(Broker& broker, std::function<void(protocol::ErrorCode)> done) {
  ensure_internal_topic(
      broker, std::string(kTransactionTopic),
      [&broker](size_t live_brokers) { return transaction_topic_definition(broker.config(), live_brokers); },
      std::move(done));
}

std::optional<CoordinatorRoute> route_transaction(const Broker& broker, const cluster::MetadataImage& image,
                                                  const std::string& transactional_id) {
  return route_coordinator_key(broker, image, kTransactionTopic, transactional_id);
}

}  // namespace freshet::server
