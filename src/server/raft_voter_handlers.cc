// KIP-853's AddRaftVoter and RemoveRaftVoter (kafka-metadata-quorum.sh
// add-controller / remove-controller): a dynamic quorum's leader changes
// its voters one at a time and answers once the change is committed. A
// voter to add must keep up with the log as an observer first; while it
// does not yet, or an earlier change is uncommitted, the leader tries again
// until the request's timeout (REQUEST_TIMED_OUT then), as Kafka's does.
#include <asio/steady_timer.hpp>

#include <chrono>

#include "cluster/clock.h"
#include "server/broker.h"
#include "server/handlers.h"

namespace freshet::server {

namespace {
using protocol::ErrorCode;
constexpr int64_t kRetryEveryMs = 50;

// One change of the voters in progress, on the control shard.
struct VoterChange {
  RequestPtr request;
  // Asks the quorum for the change; sets the offset of its VotersRecord when taken.
  std::function<raft::VoterChangeRefusal(int64_t now_ms, int64_t* offset)> change;
  std::function<void(ErrorCode, const std::string&)> answer;  // on the connection's shard
  int64_t deadline_ms;
  asio::steady_timer retry;
};

void finish(const std::shared_ptr<VoterChange>& c, ErrorCode error, std::string message) {
  c->request->broker.shards().post(c->request->shard,
                                   [c, error, message = std::move(message)] { c->answer(error, message); });
}

void attempt(const std::shared_ptr<VoterChange>& c) {
  Broker& broker = c->request->broker;
  const int64_t now = cluster::monotonic_ms();
  int64_t offset = -1;
  switch (c->change(now, &offset)) {
    case raft::VoterChangeRefusal::kNone:
      return broker.quorum().when_applied(offset + 1, [c](bool committed) {
        if (committed) return finish(c, ErrorCode::None, "");
        finish(c, ErrorCode::NotLeaderOrFollower, "This controller stopped leading before the change committed.");
      });
    case raft::VoterChangeRefusal::kNotLeader:
      return finish(c, ErrorCode::NotLeaderOrFollower, "This controller is not the metadata quorum's leader.");
    case raft::VoterChangeRefusal::kAlreadyVoter:
      return finish(c, ErrorCode::DuplicateVoter, "The voter is already part of the set of voters.");
    case raft::VoterChangeRefusal::kNotVoter:
      return finish(c, ErrorCode::VoterNotFound, "The voter is not part of the set of voters.");
    case raft::VoterChangeRefusal::kLastVoter:
      return finish(c, ErrorCode::InvalidRequest, "The quorum's last voter cannot be removed.");
    case raft::VoterChangeRefusal::kPending:
    case raft::VoterChangeRefusal::kNotCaughtUp:
      break;
  }
  if (now >= c->deadline_ms)
    return finish(c, ErrorCode::RequestTimedOut,
                  "The change of the voters timed out: an earlier change is not committed yet, or the new voter has "
                  "not caught up with the metadata log (is it running, as an observer of this quorum?).");
  c->retry.expires_after(std::chrono::milliseconds(kRetryEveryMs));
  c->retry.async_wait([c](std::error_code error) {
    if (!error) attempt(c);
  });
}

// Runs `change` on the control shard for a dynamic quorum of this cluster;
// `answer` replies with an error code and message.
template <typename Response>
void change_voters(const RequestPtr& request, const std::optional<std::string>& cluster_id, int64_t timeout_ms,
                   std::function<raft::VoterChangeRefusal(Broker&, int64_t, int64_t*)> change) {
  auto answer = [request](ErrorCode error, const std::string& message) {
    Response resp;
    resp.error_code = protocol::code(error);
    if (!message.empty()) resp.error_message = message;
    request->reply(resp);
  };
  Broker& broker = request->broker;
  if (cluster_id && *cluster_id != broker.cluster_id())
    return answer(ErrorCode::InconsistentClusterId, "The request is for another cluster.");
  if (!broker.config().dynamic_quorum())
    return answer(ErrorCode::UnsupportedVersion,
                  "The metadata quorum's voters are static (controller.quorum.voters): they cannot change.");
  auto& control = broker.shards().context(broker.shards().control_shard());
  auto c = std::make_shared<VoterChange>(
      VoterChange{request, [&broker, change](int64_t now, int64_t* offset) { return change(broker, now, offset); },
                  answer, cluster::monotonic_ms() + timeout_ms, asio::steady_timer(control)});
  broker.shards().post(broker.shards().control_shard(), [c] { attempt(c); });
}
}  // namespace

void handle_add_raft_voter(const RequestPtr& request, protocol::Reader& body) {
  protocol::AddRaftVoterRequest req;
  req.decode(body, request->version());
  const std::string listener = request->broker.config().controller_listener_name();
  auto endpoint = std::find_if(req.listeners.begin(), req.listeners.end(), [&](const auto& l) { return l.name == listener; });
  if (endpoint == req.listeners.end()) endpoint = req.listeners.begin();
  if (endpoint == req.listeners.end() || req.voter_id < 0 || req.voter_directory_id.is_zero()) {
    protocol::AddRaftVoterResponse refused;
    refused.error_code = protocol::code(ErrorCode::InvalidRequest);
    refused.error_message = "A voter to add needs an id, a directory id and a listener.";
    return request->reply(refused);
  }
  const cluster::QuorumVoter voter{req.voter_id, endpoint->host, endpoint->port, req.voter_directory_id};
  change_voters<protocol::AddRaftVoterResponse>(request, req.cluster_id, std::max(req.timeout_ms, 0),
                                                [voter](Broker& broker, int64_t now, int64_t* offset) {
                                                  return broker.quorum().add_voter(voter, now, offset);
                                                });
}

void handle_remove_raft_voter(const RequestPtr& request, protocol::Reader& body) {
  protocol::RemoveRaftVoterRequest req;
  req.decode(body, request->version());
  const int32_t id = req.voter_id;
  const protocol::Uuid directory_id = req.voter_directory_id;
  change_voters<protocol::RemoveRaftVoterResponse>(
      request, req.cluster_id, request->broker.config().get_int("request.timeout.ms"),
      [id, directory_id](Broker& broker, int64_t now, int64_t* offset) {
        // The voter is its id and its directory: another directory under the same id is another replica.
        const auto& voters = broker.quorum_voters();
        const bool listed = std::any_of(voters.begin(), voters.end(), [&](const cluster::QuorumVoter& v) {
          return v.id == id && v.directory_id == directory_id;
        });
        if (!listed) return raft::VoterChangeRefusal::kNotVoter;
        return broker.quorum().remove_voter(id, now, offset);
      });
}

}  // namespace freshet::server
