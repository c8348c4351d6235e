#include "server/controller_channel.h"

namespace freshet::server {

ControllerChannel::ControllerChannel(asio::io_context& context, raft::NodeId self, VoterEndpoints endpoints,
                                     std::string client_id, std::function<void(raft::NodeId, PeerClient&)> connected)
    : context_(context),
      self_(self),
      endpoints_(std::move(endpoints)),
      client_id_(std::move(client_id)),
      connected_(std::move(connected)) {}

PeerClient* ControllerChannel::client(raft::NodeId id) {
  if (id == self_) return nullptr;
  const auto endpoint = endpoints_(id);
  if (!endpoint) return nullptr;
  auto it = peers_.find(id);
  if (it != peers_.end() && it->second.endpoint.host == endpoint->host && it->second.endpoint.port == endpoint->port)
    return it->second.client.get();
  auto client = std::make_unique<PeerClient>(
      net::PeerConnection::create(context_, endpoint->host, endpoint->port, net::PeerLimits{}), client_id_);
  PeerClient& made = *client;
  peers_.insert_or_assign(id, Peer{*endpoint, std::move(client)});
  if (connected_) connected_(id, made);
  return &made;
}

}  // namespace freshet::server
