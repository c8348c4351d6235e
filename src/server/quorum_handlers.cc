// The metadata quorum's requests from other voters (Vote, BeginQuorumEpoch,
// and Fetch and FetchSnapshot of the metadata log): checked for this cluster's id, handed to
// the QuorumTransport on the control shard, answered on the connection's shard with
// what the Raft core says, or with an error when it says nothing.
#include "cluster/quorum_wire.h"
#include "server/broker.h"
#include "server/handlers.h"

namespace freshet::server {

namespace {
using protocol::ErrorCode;

bool same_cluster(const std::optional<std::string>& cluster_id, const Broker& broker) {
  return !cluster_id || *cluster_id == broker.cluster_id();
}

// Hands `message` (from `from`) to the quorum; `answer` turns the core's
// reply, or nullopt, into the response to send.
template <typename Response, typename Answer>
void forward_to_quorum(const RequestPtr& request, raft::NodeId from, raft::Message message, Answer answer) {
  Broker& broker = request->broker;
  broker.shards().post(broker.shards().control_shard(), [&broker, request, from, message = std::move(message), answer = std::move(answer)] {
    broker.quorum_transport().receive_request(from, message, [request, answer](std::optional<cluster::QuorumMessage> reply) {
      Response response = answer(reply);
      request->broker.shards().post(request->shard, [request, response = std::move(response)] { request->reply(response); });
    });
  });
}
}  // namespace

void handle_vote(const RequestPtr& request, protocol::Reader& body) {
  protocol::VoteRequest req;
  req.decode(body, request->version());
  if (!same_cluster(req.cluster_id, request->broker)) return request->reply(cluster::vote_error(ErrorCode::InconsistentClusterId));
  auto vote = cluster::raft_vote_request(req);
  if (!vote) return request->reply(cluster::vote_error(ErrorCode::UnknownTopicOrPartition));
  forward_to_quorum<protocol::VoteResponse>(request, vote->candidate, *vote, [](const auto& reply) {
    return reply ? cluster::wire_vote_response(std::get<raft::VoteResponse>(reply->message))
                 : cluster::vote_error(ErrorCode::InconsistentVoterSet);
  });
}

void handle_begin_quorum_epoch(const RequestPtr& request, protocol::Reader& body) {
  protocol::BeginQuorumEpochRequest req;
  req.decode(body, request->version());
  if (!same_cluster(req.cluster_id, request->broker))
    return request->reply(cluster::begin_quorum_epoch_error(ErrorCode::InconsistentClusterId));
  auto begin = cluster::raft_begin_quorum_epoch(req);
  if (!begin) return request->reply(cluster::begin_quorum_epoch_error(ErrorCode::UnknownTopicOrPartition));
  forward_to_quorum<protocol::BeginQuorumEpochResponse>(request, begin->leader, *begin, [](const auto& reply) {
    return reply ? cluster::wire_begin_quorum_epoch_response(std::get<raft::BeginQuorumEpochResponse>(reply->message))
                 : cluster::begin_quorum_epoch_error(ErrorCode::InconsistentVoterSet);
  });
}

void handle_quorum_fetch(const RequestPtr& request, const protocol::FetchRequest& req) {
  if (!same_cluster(req.cluster_id, request->broker))
    return request->reply(cluster::quorum_fetch_error(ErrorCode::InconsistentClusterId));
  auto fetch = cluster::raft_fetch_request(req);
  if (!fetch) return request->reply(cluster::quorum_fetch_error(ErrorCode::UnknownTopicOrPartition));
  Broker& broker = request->broker;
  // On the control shard: the answer names where the leader listens, for a
  // fetcher that knows only the bootstrap servers.
  forward_to_quorum<protocol::FetchResponse>(request, fetch->replica, *fetch, [&broker](const auto& reply) {
    if (!reply) return cluster::quorum_fetch_error(ErrorCode::NotLeaderOrFollower);
    const auto& answer = std::get<raft::FetchResponse>(reply->message);
    return cluster::wire_fetch_response(answer, broker.node_id(), reply->records, broker.voter_endpoint(answer.leader));
  });
}

void handle_fetch_snapshot(const RequestPtr& request, protocol::Reader& body) {
  protocol::FetchSnapshotRequest req;
  req.decode(body, request->version());
  if (!same_cluster(req.cluster_id, request->broker))
    return request->reply(cluster::fetch_snapshot_error(ErrorCode::InconsistentClusterId));
  auto fetch = cluster::raft_fetch_snapshot_request(req);
  if (!fetch) return request->reply(cluster::fetch_snapshot_error(ErrorCode::UnknownTopicOrPartition));
  const raft::NodeId self = request->broker.node_id();
  forward_to_quorum<protocol::FetchSnapshotResponse>(request, fetch->replica, *fetch, [self](const auto& reply) {
    return reply ? cluster::wire_fetch_snapshot_response(std::get<raft::FetchSnapshotResponse>(reply->message), self,
                                                         reply->records)
                 : cluster::fetch_snapshot_error(ErrorCode::NotLeaderOrFollower);
  });
}

}  // namespace freshet::server
