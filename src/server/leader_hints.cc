#include "server/leader_hints.h"

namespace freshet::server {

std::optional<LeaderHint> leader_hint(const cluster::MetadataImage& image, const cluster::TopicInfo& topic,
                                      int32_t partition, const std::string& listener) {
  if (partition < 0 || static_cast<size_t>(partition) >= topic.partitions.size()) return std::nullopt;
  const cluster::PartitionInfo& p = topic.partitions[static_cast<size_t>(partition)];
  const cluster::BrokerInfo* broker = image.broker(p.leader);
  if (!broker || broker->fenced) return std::nullopt;
  const cluster::BrokerInfo::Endpoint* endpoint = broker->endpoint(listener);
  if (!endpoint) return std::nullopt;
  return LeaderHint{p.leader, p.leader_epoch, endpoint, broker};
}

}  // namespace freshet::server
