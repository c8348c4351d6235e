// One KRaft voter as a pure, deterministic state machine: no sockets,
// clocks, threads or files. Time and messages are handed in (tick,
// receive); what to persist and what to send comes out (take_actions), and
// the driver persists the quorum state before it sends anything, so that a
// vote or an epoch is never promised and then forgotten by a crash.
//
// This first slice elects leaders: KRaft's Vote with pre-vote (KIP-996: a
// prospective candidate asks first, without bumping the epoch, and voters
// that still hear from a leader refuse), BeginQuorumEpoch, Fetch as the
// followers' heartbeat, the leader's check-quorum (it resigns when a
// majority stops fetching), randomized election backoff. Log replication
// and snapshots come next; the log is seen only as its end (LogEnd), which
// decides who may be elected.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <set>
#include <vector>

#include "raft/messages.h"

namespace freshet::raft {

// What the `quorum-state` file keeps.
struct QuorumState {
  int32_t epoch = 0;
  NodeId leader = kNoNode;
  NodeId voted_for = kNoNode;
  friend bool operator==(const QuorumState&, const QuorumState&) = default;
};

struct RaftConfig {
  int64_t election_timeout_ms = 1000;       // controller.quorum.election.timeout.ms
  int64_t fetch_timeout_ms = 2000;          // controller.quorum.fetch.timeout.ms
  int64_t election_backoff_max_ms = 1000;   // controller.quorum.election.backoff.max.ms
  int64_t fetch_interval_ms = 500;          // how often a follower fetches (its fetch max wait)
};

enum class Role { kUnattached, kFollower, kProspective, kCandidate, kLeader };
const char* role_name(Role role);

struct Outbound {
  NodeId to;
  Message message;
};

struct Actions {
  std::optional<QuorumState> persist;  // write before sending
  std::vector<Outbound> send;
};

class RaftCore {
 public:
  // `voters` includes `self`; `persisted` is what the quorum-state file held
  // (all defaults when new). `seed` drives the randomized timeouts.
  RaftCore(NodeId self, std::vector<NodeId> voters, const RaftConfig& config, const QuorumState& persisted,
           LogEnd log, uint64_t seed, int64_t now_ms);

  void tick(int64_t now_ms);
  void receive(NodeId from, const Message& message, int64_t now_ms);
  // Everything to persist and send since the last call.
  Actions take_actions();

  NodeId self() const { return self_; }
  Role role() const { return role_; }
  int32_t epoch() const { return state_.epoch; }
  NodeId leader() const { return state_.leader; }
  const QuorumState& quorum_state() const { return state_; }
  const LogEnd& log_end() const { return log_; }

 private:
  size_t majority() const { return voters_.size() / 2 + 1; }
  void persist(QuorumState next);
  void send(NodeId to, Message message);
  void send_to_others(const Message& message);
  // Draws the next election deadline: election_timeout_ms plus up to as much again.
  int64_t randomized_election_timeout_ms();
  int64_t backoff_ms();

  // Transitions; each states its invariant.
  void become_unattached(int32_t epoch, int64_t now_ms);
  void become_follower(int32_t epoch, NodeId leader, int64_t now_ms);
  void become_prospective(int64_t now_ms);
  void become_candidate(int64_t now_ms);
  void become_leader(int64_t now_ms);
  // A message carrying a higher epoch (and its leader, if known) moves us there.
  void observe_epoch(int32_t epoch, NodeId leader, int64_t now_ms);

  void on_vote_request(NodeId from, const VoteRequest& request, int64_t now_ms);
  void on_vote_response(NodeId from, const VoteResponse& response, int64_t now_ms);
  void on_begin_quorum_epoch(NodeId from, const BeginQuorumEpoch& begin, int64_t now_ms);
  void on_fetch_request(NodeId from, const FetchRequest& fetch, int64_t now_ms);
  void on_fetch_response(const FetchResponse& response, int64_t now_ms);

  NodeId self_;
  std::vector<NodeId> voters_;
  RaftConfig config_;
  std::mt19937_64 random_;
  QuorumState state_;
  LogEnd log_;
  Role role_ = Role::kUnattached;
  Actions pending_;

  // Unattached, follower, prospective, candidate: when to (re)start an election.
  int64_t election_deadline_ms_ = 0;
  // Follower: when it last heard from its leader; when it fetches next.
  int64_t leader_heard_ms_ = -1;
  int64_t next_fetch_ms_ = 0;
  // Prospective / candidate: the voters that granted.
  std::set<NodeId> granted_;
  // Leader: the last fetch from each voter; when to resend BeginQuorumEpoch.
  std::vector<int64_t> last_fetch_ms_;
  int64_t next_begin_ms_ = 0;
};

}  // namespace freshet::raft
