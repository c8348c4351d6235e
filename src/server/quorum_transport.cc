#include "server/quorum_transport.h"

#include <fmt/format.h>

#include "cluster/clock.h"
#include "cluster/quorum_wire.h"

namespace freshet::server {

namespace {
constexpr auto kTickEvery = std::chrono::milliseconds(10);
// Leaders whose endpoints answers taught us, at most (each leader named once).
constexpr size_t kMaxLearnedEndpoints = 64;

template <typename T>
bool holds(const raft::Message& m) {
  return std::holds_alternative<T>(m);
}

bool is_request(const raft::Message& m) {
  return holds<raft::VoteRequest>(m) || holds<raft::BeginQuorumEpoch>(m) || holds<raft::EndQuorumEpoch>(m) ||
         holds<raft::FetchRequest>(m) || holds<raft::FetchSnapshotRequest>(m);
}
}  // namespace

// The API a request or its answer is of.
QuorumTransport::Kind QuorumTransport::kind_of(const raft::Message& m) {
  if (holds<raft::VoteRequest>(m) || holds<raft::VoteResponse>(m)) return Kind::kVote;
  if (holds<raft::BeginQuorumEpoch>(m) || holds<raft::BeginQuorumEpochResponse>(m)) return Kind::kBeginQuorumEpoch;
  if (holds<raft::EndQuorumEpoch>(m) || holds<raft::EndQuorumEpochResponse>(m)) return Kind::kEndQuorumEpoch;
  if (holds<raft::FetchRequest>(m) || holds<raft::FetchResponse>(m)) return Kind::kFetch;
  return Kind::kFetchSnapshot;
}

QuorumTransport::QuorumTransport(asio::io_context& context, raft::NodeId self, VoterEndpoints endpoints,
                                 std::string cluster_id, const raft::RaftConfig& raft,
                                 std::function<void(int32_t)> leader_seen)
    : context_(context),
      self_(self),
      cluster_id_(std::move(cluster_id)),
      raft_(raft),
      tick_timer_(context),
      leader_seen_(std::move(leader_seen)),
      peers_(context, self, std::move(endpoints), fmt::format("freshet-raft-{}", self),
             [this](raft::NodeId id, PeerClient& client) {
               // A dead leader's process is noticed at once, not after the fetch timeout.
               client.on_lost([this, id] {
                 if (stopped_ || !quorum_) return;
                 quorum_->peer_lost(id, cluster::monotonic_ms());
                 after_core_ran();
               });
             }) {}

std::optional<cluster::QuorumVoter> QuorumTransport::learned_endpoint(raft::NodeId id) const {
  auto it = learned_.find(id);
  if (it == learned_.end()) return std::nullopt;
  return it->second;
}

void QuorumTransport::start(cluster::MetadataQuorum& quorum) {
  quorum_ = &quorum;
  after_core_ran();
  schedule_tick();
}

void QuorumTransport::stop() {
  stopped_ = true;
  tick_timer_.cancel();
  release_held_fetches();
  peers_.stop();
}

void QuorumTransport::schedule_tick() {
  tick_timer_.expires_after(kTickEvery);
  tick_timer_.async_wait([this](asio::error_code ec) {
    if (ec || stopped_) return;
    quorum_->tick(cluster::monotonic_ms());
    if (quorum_->core().role() != raft::Role::kLeader) release_held_fetches();
    after_core_ran();
    schedule_tick();
  });
}

void QuorumTransport::after_core_ran() {
  const raft::RaftCore& core = quorum_->core();
  const raft::NodeId leader = core.role() == raft::Role::kLeader || core.role() == raft::Role::kFollower ? core.leader()
                                                                                                          : raft::kNoNode;
  if (leader == last_leader_) return;
  last_leader_ = leader;
  leader_seen_(leader);
}

void QuorumTransport::release_held_fetches() {
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (it->first.second != Kind::kFetch) {
      ++it;
      continue;
    }
    Reply reply = std::move(it->second);
    it = waiting_.erase(it);
    reply(std::nullopt);
  }
}

void QuorumTransport::receive_request(raft::NodeId from, const raft::Message& request, Reply reply) {
  if (stopped_ || !quorum_) return reply(std::nullopt);
  const Kind kind = kind_of(request);
  const auto key = std::make_pair(from, kind);
  if (auto it = waiting_.find(key); it != waiting_.end()) {
    Reply superseded = std::move(it->second);
    waiting_.erase(it);
    superseded(std::nullopt);
  }
  waiting_[key] = std::move(reply);
  quorum_->receive(from, request, {}, cluster::monotonic_ms());
  after_core_ran();
  // Votes and epochs are answered at once; a fetch may be held by a leader.
  auto it = waiting_.find(key);
  if (it != waiting_.end() && (kind != Kind::kFetch || quorum_->core().role() != raft::Role::kLeader)) {
    Reply unanswered = std::move(it->second);
    waiting_.erase(it);
    unanswered(std::nullopt);
  }
}

void QuorumTransport::send(cluster::QuorumMessage message) {
  const raft::Message& m = message.message;
  if (is_request(m)) return send_request(message.to, m);
  auto it = waiting_.find({message.to, kind_of(m)});
  if (it == waiting_.end()) return;  // its request was answered with an error already
  Reply reply = std::move(it->second);
  waiting_.erase(it);
  reply(std::move(message));
}

void QuorumTransport::deliver(raft::NodeId from, const raft::Message& message, std::span<const uint8_t> records) {
  if (stopped_ || !quorum_) return;
  quorum_->receive(from, message, records, cluster::monotonic_ms());
  after_core_ran();
}

void QuorumTransport::send_request(raft::NodeId to, const raft::Message& message) {
  PeerClient* peer = peers_.client(to);
  if (!peer) return;  // where it listens is not known (yet)
  PeerClient& client = *peer;
  if (const auto* vote = std::get_if<raft::VoteRequest>(&message)) {
    client.call<protocol::VoteResponse>(
        cluster::wire_vote_request(*vote, to, cluster_id_), cluster::kVoteVersion, raft_.request_timeout_ms,
        [this, to, asked = *vote](std::optional<protocol::VoteResponse> response) {
          if (!response) return;
          if (auto answer = cluster::raft_vote_response(*response, asked)) deliver(to, *answer, {});
        });
  } else if (const auto* begin = std::get_if<raft::BeginQuorumEpoch>(&message)) {
    client.call<protocol::BeginQuorumEpochResponse>(
        cluster::wire_begin_quorum_epoch(*begin, to, cluster_id_), cluster::kBeginQuorumEpochVersion,
        raft_.request_timeout_ms, [this, to](std::optional<protocol::BeginQuorumEpochResponse> response) {
          if (!response) return;
          if (auto answer = cluster::raft_begin_quorum_epoch_response(*response)) deliver(to, *answer, {});
        });
  } else if (const auto* end = std::get_if<raft::EndQuorumEpoch>(&message)) {
    client.call<protocol::EndQuorumEpochResponse>(
        cluster::wire_end_quorum_epoch(*end, cluster_id_), cluster::kEndQuorumEpochVersion, raft_.request_timeout_ms,
        [this, to](std::optional<protocol::EndQuorumEpochResponse> response) {
          if (!response) return;
          if (auto answer = cluster::raft_end_quorum_epoch_response(*response)) deliver(to, *answer, {});
        });
  } else if (const auto* fetch = std::get_if<raft::FetchRequest>(&message)) {
    client.call<protocol::FetchResponse>(
        cluster::wire_fetch_request(*fetch, cluster_id_), cluster::kQuorumFetchVersion,
        raft_.request_timeout_ms + fetch->max_wait_ms,
        [this, to, asked = *fetch](std::optional<protocol::FetchResponse> response) {
          if (!response) return;
          auto answer = cluster::raft_fetch_response(*response, asked);
          if (!answer) return;
          if (answer->leader_endpoint && answer->leader_endpoint->id != self_ &&
              (learned_.size() < kMaxLearnedEndpoints || learned_.contains(answer->leader_endpoint->id)))
            learned_.insert_or_assign(answer->leader_endpoint->id, *answer->leader_endpoint);
          deliver(to, answer->message, answer->records.bytes);
        });
  } else if (const auto* snapshot = std::get_if<raft::FetchSnapshotRequest>(&message)) {
    client.call<protocol::FetchSnapshotResponse>(
        cluster::wire_fetch_snapshot_request(*snapshot, cluster_id_), cluster::kFetchSnapshotVersion,
        raft_.request_timeout_ms, [this, to](std::optional<protocol::FetchSnapshotResponse> response) {
          if (!response) return;
          if (auto answer = cluster::raft_fetch_snapshot_response(*response))
            deliver(to, answer->message, answer->records.bytes);
        });
  }
}

}  // namespace freshet::server
