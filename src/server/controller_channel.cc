#include "server/controller_channel.h"

#include <fmt/format.h>

namespace freshet::server {

ControllerChannel::ControllerChannel(asio::io_context& context, raft::NodeId self,
                                     const std::vector<cluster::QuorumVoter>& voters) {
  for (const auto& voter : voters) {
    if (voter.id == self) continue;
    clients_[voter.id] = std::make_unique<PeerClient>(
        net::PeerConnection::create(context, voter.host, voter.port, net::PeerLimits{}), fmt::format("freshet-broker-{}", self));
  }
}

PeerClient* ControllerChannel::client(raft::NodeId leader) {
  auto it = clients_.find(leader);
  return it == clients_.end() ? nullptr : it->second.get();
}

}  // namespace freshet::server
