// Connections to the controllers (the quorum's voters) over their controller
// listeners: one PeerClient per voter, made when first asked for and made
// again when the voter's endpoint changed (a dynamic quorum's voters move
// with the metadata log). The Broker keeps three: the quorum's own (whose
// fetches wait at the leader), the one for requests to the active controller
// (BrokerRegistration, BrokerHeartbeat, CreateTopics and AllocateProducerIds
// when another node leads), and the one forwarded client requests take.
// Lives on the control shard.
#pragma once

#include <asio/io_context.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "cluster/broker_config.h"
#include "raft/messages.h"
#include "server/peer_client.h"

namespace freshet::server {

// Where voter `id` listens (a negative id: a controller.quorum.bootstrap.servers
// entry); nullopt when this node does not know.
using VoterEndpoints = std::function<std::optional<cluster::QuorumVoter>(raft::NodeId id)>;

class ControllerChannel {
 public:
  // `connected` runs for every client made (to watch its connection).
  ControllerChannel(asio::io_context& context, raft::NodeId self, VoterEndpoints endpoints, std::string client_id,
                    std::function<void(raft::NodeId, PeerClient&)> connected = {});

  // The client for voter `id`; nullptr for this node or one whose endpoint is unknown.
  PeerClient* client(raft::NodeId id);
  void stop() { peers_.clear(); }

 private:
  struct Peer {
    cluster::QuorumVoter endpoint;
    std::unique_ptr<PeerClient> client;
  };
  asio::io_context& context_;
  raft::NodeId self_;
  VoterEndpoints endpoints_;
  std::string client_id_;
  std::function<void(raft::NodeId, PeerClient&)> connected_;
  std::map<raft::NodeId, Peer> peers_;
};

}  // namespace freshet::server
