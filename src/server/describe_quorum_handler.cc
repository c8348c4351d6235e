// DescribeQuorum (KIP-595, KIP-836, KIP-853): the metadata quorum's leader,
// epoch, high watermark and every voter's and observer's progress, as its
// leader sees them.
#include "cluster/clock.h"
#include "cluster/internal_topics.h"
#include "server/broker.h"
#include "server/handlers.h"

namespace freshet::server {

namespace {
using Response = protocol::DescribeQuorumResponse;

Response::PartitionData describe_metadata_partition(const Broker& broker, const cluster::MetadataQuorum& quorum) {
  Response::PartitionData partition;
  partition.partition_index = 0;
  const raft::RaftCore& core = quorum.core();
  partition.leader_id = core.leader();
  partition.leader_epoch = core.epoch();
  if (core.role() != raft::Role::kLeader) {
    partition.error_code = static_cast<int16_t>(protocol::ErrorCode::NotLeaderOrFollower);
    return partition;
  }
  partition.high_watermark = core.high_watermark();
  // The core's times are a monotonic clock's; the response's are wall-clock.
  const int64_t mono_now = cluster::monotonic_ms();
  const int64_t wall_now = cluster::wall_clock_ms();
  auto wall = [&](int64_t mono) { return mono < 0 ? int64_t{-1} : wall_now - (mono_now - mono); };
  auto replica_state = [&](const raft::VoterProgress& replica) {
    Response::ReplicaState state;
    state.replica_id = replica.id;
    for (const auto& voter : broker.quorum_voters())
      if (voter.id == replica.id) state.replica_directory_id = voter.directory_id;
    state.log_end_offset = replica.end_offset;
    state.last_fetch_timestamp = wall(replica.last_fetch_ms);
    state.last_caught_up_timestamp = wall(replica.last_caught_up_ms);
    return state;
  };
  for (const auto& voter : core.voter_progress(mono_now)) partition.current_voters.push_back(replica_state(voter));
  for (const auto& observer : core.observer_progress()) partition.observers.push_back(replica_state(observer));
  return partition;
}

Response describe(Broker& broker, const protocol::DescribeQuorumRequest& req) {
  Response resp;
  for (const auto& topic : req.topics) {
    Response::TopicData out;
    out.topic_name = topic.topic_name;
    for (const auto& p : topic.partitions) {
      Response::PartitionData partition;
      if (topic.topic_name == cluster::kMetadataTopicName && p.partition_index == 0) {
        partition = describe_metadata_partition(broker, broker.quorum());
      } else {
        partition.partition_index = p.partition_index;
        partition.error_code = static_cast<int16_t>(protocol::ErrorCode::UnknownTopicOrPartition);
      }
      out.partitions.push_back(std::move(partition));
    }
    resp.topics.push_back(std::move(out));
  }
  // Every voter at its controller endpoint (a quorum of one without a
  // controller listener: this node's client listeners).
  const auto& voters = broker.quorum_voters();
  const std::string listener_name = broker.config().controller_listener_name();
  for (const auto& voter : voters) {
    Response::Node node;
    node.node_id = voter.id;
    Response::Listener listener;
    listener.name = listener_name.empty() ? "CONTROLLER" : listener_name;
    listener.host = voter.host;
    listener.port = voter.port;
    node.listeners.push_back(std::move(listener));
    resp.nodes.push_back(std::move(node));
  }
  if (voters.empty() && !broker.config().dynamic_quorum()) {
    Response::Node node;
    node.node_id = broker.node_id();
    for (const auto& l : broker.config().advertised_listeners()) {
      Response::Listener listener;
      listener.name = l.name;
      listener.host = l.host;
      listener.port = l.port;
      node.listeners.push_back(std::move(listener));
    }
    resp.nodes.push_back(std::move(node));
  }
  return resp;
}
}  // namespace

void handle_describe_quorum(const RequestPtr& request, protocol::Reader& body) {
  auto req = std::make_shared<protocol::DescribeQuorumRequest>();
  req->decode(body, request->version());
  Broker& broker = request->broker;
  const int16_t version = request->version();
  broker.shards().submit_async<Response>(
      broker.shards().control_shard(),
      [&broker, req, version](std::function<void(Response)> reply) {
        // Only the leader knows every voter's progress: a follower asks it, as Kafka's brokers forward.
        const auto& core = broker.quorum().core();
        PeerClient* leader = core.role() == raft::Role::kLeader || core.leader() == raft::kNoNode
                                 ? nullptr
                                 : broker.controller_channel().client(core.leader());
        if (!leader) return reply(describe(broker, *req));
        leader->call<Response>(*req, version, broker.config().get_int("controller.quorum.request.timeout.ms"),
                               [&broker, req, reply](std::optional<Response> answer) {
                                 reply(answer ? std::move(*answer) : describe(broker, *req));
                               });
      },
      [request](Response resp) { request->reply(resp); });
}

}  // namespace freshet::server
