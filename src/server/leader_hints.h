// KIP-951: a client told NOT_LEADER_OR_FOLLOWER (Produce v10+, Fetch v12+)
// is also told which broker leads now, in which epoch, and where that broker
// listens, so it can go there without a Metadata round trip first.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "cluster/metadata_image.h"

namespace freshet::server {

struct LeaderHint {
  int32_t leader_id;
  int32_t leader_epoch;
  const cluster::BrokerInfo::Endpoint* endpoint;  // on the client's listener
  const cluster::BrokerInfo* broker;
};

// The partition's live leader as `image` has it, reachable on `listener`;
// nullopt when it has none.
std::optional<LeaderHint> leader_hint(const cluster::MetadataImage& image, const cluster::TopicInfo& topic,
                                      int32_t partition, const std::string& listener);

// Adds the hint's broker to a response's NodeEndpoints (once per broker).
template <typename NodeEndpoint>
void add_node_endpoint(std::map<int32_t, NodeEndpoint>& endpoints, const LeaderHint& hint) {
  NodeEndpoint& node = endpoints[hint.leader_id];
  node.node_id = hint.leader_id;
  node.host = hint.endpoint->host;
  node.port = hint.endpoint->port;
  node.rack = hint.broker->rack;
}

}  // namespace freshet::server
