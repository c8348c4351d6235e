// The metadata quorum's requests from other voters (Vote, BeginQuorumEpoch, EndQuorumEpoch,
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

namespace {
// A request answered at once by the core (Vote, BeginQuorumEpoch,
// EndQuorumEpoch): decoded, checked for this cluster, translated for the
// core (`from` says who sent it), answered with the core's reply in wire
// form, or with `error` for what the core could not take.
template <typename WireRequest, typename RaftReply, typename ToRaft, typename From, typename ToWire, typename Error>
void handle_epoch_request(const RequestPtr& request, protocol::Reader& body, ToRaft to_raft, From from, ToWire to_wire,
                          Error error) {
  WireRequest req;
  req.decode(body, request->version());
  if (!same_cluster(req.cluster_id, request->broker)) return request->reply(error(ErrorCode::InconsistentClusterId));
  auto message = to_raft(req);
  if (!message) return request->reply(error(ErrorCode::UnknownTopicOrPartition));
  using Response = decltype(error(ErrorCode::None));
  forward_to_quorum<Response>(request, from(*message), *message, [to_wire, error](const auto& reply) {
    return reply ? to_wire(std::get<RaftReply>(reply->message)) : error(ErrorCode::InconsistentVoterSet);
  });
}
}  // namespace

void handle_vote(const RequestPtr& request, protocol::Reader& body) {
  handle_epoch_request<protocol::VoteRequest, raft::VoteResponse>(
      request, body, cluster::raft_vote_request, [](const raft::VoteRequest& m) { return m.candidate; },
      cluster::wire_vote_response, cluster::vote_error);
}

void handle_begin_quorum_epoch(const RequestPtr& request, protocol::Reader& body) {
  handle_epoch_request<protocol::BeginQuorumEpochRequest, raft::BeginQuorumEpochResponse>(
      request, body, cluster::raft_begin_quorum_epoch, [](const raft::BeginQuorumEpoch& m) { return m.leader; },
      cluster::wire_begin_quorum_epoch_response, cluster::begin_quorum_epoch_error);
}

void handle_end_quorum_epoch(const RequestPtr& request, protocol::Reader& body) {
  handle_epoch_request<protocol::EndQuorumEpochRequest, raft::EndQuorumEpochResponse>(
      request, body, cluster::raft_end_quorum_epoch, [](const raft::EndQuorumEpoch& m) { return m.leader; },
      cluster::wire_end_quorum_epoch_response, cluster::end_quorum_epoch_error);
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
