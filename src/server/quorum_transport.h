// The metadata quorum's network, on the control shard: the requests its core sends go
// to the other voters over PeerClients (Vote, BeginQuorumEpoch, Fetch,
// FetchSnapshot), and
// their answers come back to the core; the requests other voters send us are
// handed to the core, and its answers go back on their connections. A fetch
// the leader's core holds (long poll) waits here, one per voter: a newer
// fetch from the same voter, or this node ceasing to lead, answers it with
// an error. Every core message is sent as it comes out (no queue but the
// connections', each bounded). An answer that names another node as the
// leader, with its endpoint (a Fetch answer's NodeEndpoints), teaches this
// node where that leader listens: how a broker that knows only the
// bootstrap servers finds the leader of a dynamic quorum.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "cluster/broker_config.h"
#include "cluster/metadata_quorum.h"
#include "server/controller_channel.h"
#include "server/peer_client.h"

namespace freshet::server {

class QuorumTransport {
 public:
  // The answer to an inbound request: the core's message, or nullopt when
  // the core gave none (the handler answers with an error).
  using Reply = std::function<void(std::optional<cluster::QuorumMessage>)>;

  // `leader_seen` hears of every change of the quorum's leader (-1: none).
  QuorumTransport(asio::io_context& context, raft::NodeId self, VoterEndpoints endpoints, std::string cluster_id,
                  const raft::RaftConfig& raft, std::function<void(int32_t)> leader_seen);

  // The quorum to drive; ticks it every few milliseconds from now on.
  void start(cluster::MetadataQuorum& quorum);
  void stop();
  // MetadataQuorum's Send.
  void send(cluster::QuorumMessage message);
  // A request from voter `from`, already translated.
  void receive_request(raft::NodeId from, const raft::Message& request, Reply reply);

  const std::string& cluster_id() const { return cluster_id_; }
  // Where a leader named by an answer said it listens; nullopt when none did.
  std::optional<cluster::QuorumVoter> learned_endpoint(raft::NodeId id) const;

 private:
  enum class Kind { kVote, kBeginQuorumEpoch, kEndQuorumEpoch, kFetch, kFetchSnapshot };
  static Kind kind_of(const raft::Message& message);
  void send_request(raft::NodeId to, const raft::Message& message);
  void deliver(raft::NodeId from, const raft::Message& message, std::span<const uint8_t> records);
  // After the core ran: reports a new leader.
  void after_core_ran();
  void schedule_tick();
  // Answers every fetch still held with an error: we no longer lead.
  void release_held_fetches();

  asio::io_context& context_;
  raft::NodeId self_;
  std::string cluster_id_;
  raft::RaftConfig raft_;
  asio::steady_timer tick_timer_;
  std::function<void(int32_t)> leader_seen_;
  raft::NodeId last_leader_ = raft::kNoNode;
  cluster::MetadataQuorum* quorum_ = nullptr;
  bool stopped_ = false;
  ControllerChannel peers_;
  std::map<raft::NodeId, cluster::QuorumVoter> learned_;  // leaders' endpoints from answers, at most one per leader named
  std::map<std::pair<raft::NodeId, Kind>, Reply> waiting_;  // inbound requests the core has yet to answer
};

}  // namespace freshet::server
