// Requests this node sends the active controller (BrokerRegistration;
// CreateTopics and AllocateProducerIds when another node leads), over the
// controller listeners of controller.quorum.voters: one connection per
// voter, apart from the quorum's own (whose fetches wait at the leader).
// The active controller is whoever leads the metadata quorum at the time.
// Lives on the control shard.
#pragma once

#include <asio/io_context.hpp>

#include <map>
#include <memory>

#include "cluster/broker_config.h"
#include "raft/messages.h"
#include "server/peer_client.h"

namespace freshet::server {

class ControllerChannel {
 public:
  ControllerChannel(asio::io_context& context, raft::NodeId self, const std::vector<cluster::QuorumVoter>& voters);

  // The client for voter `leader`; nullptr for this node or a node that is no voter.
  PeerClient* client(raft::NodeId leader);
  void stop() { clients_.clear(); }

 private:
  std::map<raft::NodeId, std::unique_ptr<PeerClient>> clients_;
};

}  // namespace freshet::server
