#include "raft/raft_core.h"

#include <algorithm>

#include "raft/invariant.h"

namespace freshet::raft {

const char* role_name(Role role) {
  switch (role) {
    case Role::kUnattached: return "unattached";
    case Role::kFollower: return "follower";
    case Role::kProspective: return "prospective";
    case Role::kCandidate: return "candidate";
    case Role::kLeader: return "leader";
  }
  return "?";
}

RaftCore::RaftCore(NodeId self, std::vector<NodeId> voters, const RaftConfig& config, const QuorumState& persisted,
                   LogEnd log, uint64_t seed, int64_t now_ms)
    : self_(self), voters_(std::move(voters)), config_(config), random_(seed), state_(persisted), log_(log) {
  std::sort(voters_.begin(), voters_.end());
  RAFT_ASSERT(std::binary_search(voters_.begin(), voters_.end(), self_));
  last_fetch_ms_.assign(voters_.size(), -1);
  // A restarted node trusts no leader until it hears from one; a node that
  // led before the restart resigned with it (KRaft's Resigned state, here
  // unattached at the same epoch, keeping its vote for itself).
  role_ = Role::kUnattached;
  election_deadline_ms_ = now_ms + randomized_election_timeout_ms();
}

Actions RaftCore::take_actions() {
  Actions out = std::move(pending_);
  pending_ = {};
  return out;
}

void RaftCore::persist(QuorumState next) {
  // An epoch never goes back, nor a vote within one epoch.
  RAFT_ASSERT(next.epoch >= state_.epoch);
  RAFT_ASSERT(next.epoch > state_.epoch || state_.voted_for == kNoNode || next.voted_for == state_.voted_for);
  state_ = next;
  pending_.persist = next;
}

void RaftCore::send(NodeId to, Message message) { pending_.send.push_back({to, std::move(message)}); }

void RaftCore::send_to_others(const Message& message) {
  for (NodeId voter : voters_)
    if (voter != self_) send(voter, message);
}

int64_t RaftCore::randomized_election_timeout_ms() {
  return config_.election_timeout_ms +
         static_cast<int64_t>(random_() % static_cast<uint64_t>(config_.election_timeout_ms + 1));
}

int64_t RaftCore::backoff_ms() {
  return 1 + static_cast<int64_t>(random_() % static_cast<uint64_t>(config_.election_backoff_max_ms));
}

void RaftCore::become_unattached(int32_t epoch, int64_t now_ms) {
  RAFT_ASSERT(epoch >= state_.epoch);
  if (epoch > state_.epoch) persist({epoch, kNoNode, kNoNode});
  role_ = Role::kUnattached;
  granted_.clear();
  election_deadline_ms_ = now_ms + randomized_election_timeout_ms();
}

void RaftCore::become_follower(int32_t epoch, NodeId leader, int64_t now_ms) {
  RAFT_ASSERT(leader != kNoNode && leader != self_ && epoch >= state_.epoch);
  // One leader per epoch: a known leader of this epoch is never replaced.
  RAFT_ASSERT(epoch > state_.epoch || state_.leader == kNoNode || state_.leader == leader);
  if (epoch > state_.epoch)
    persist({epoch, leader, kNoNode});
  else if (state_.leader != leader)
    persist({epoch, leader, state_.voted_for});
  role_ = Role::kFollower;
  granted_.clear();
  leader_heard_ms_ = now_ms;
  next_fetch_ms_ = now_ms;
}

void RaftCore::become_prospective(int64_t now_ms) {
  role_ = Role::kProspective;
  granted_ = {self_};
  election_deadline_ms_ = now_ms + randomized_election_timeout_ms();
  send_to_others(VoteRequest{state_.epoch + 1, self_, log_, /*pre_vote=*/true});
  if (granted_.size() >= majority()) become_candidate(now_ms);  // a quorum of one
}

void RaftCore::become_candidate(int64_t now_ms) {
  persist({state_.epoch + 1, kNoNode, self_});
  role_ = Role::kCandidate;
  granted_ = {self_};
  election_deadline_ms_ = now_ms + randomized_election_timeout_ms();
  send_to_others(VoteRequest{state_.epoch, self_, log_, /*pre_vote=*/false});
  if (granted_.size() >= majority()) become_leader(now_ms);
}

void RaftCore::become_leader(int64_t now_ms) {
  RAFT_ASSERT(role_ == Role::kCandidate && state_.voted_for == self_ && state_.leader == kNoNode);
  RAFT_ASSERT(granted_.size() >= majority());
  persist({state_.epoch, self_, self_});
  role_ = Role::kLeader;
  // Every voter counts as just heard from: check-quorum starts now.
  std::fill(last_fetch_ms_.begin(), last_fetch_ms_.end(), now_ms);
  next_begin_ms_ = now_ms + config_.fetch_interval_ms;
  send_to_others(BeginQuorumEpoch{state_.epoch, self_});
}

void RaftCore::observe_epoch(int32_t epoch, NodeId leader, int64_t now_ms) {
  const bool other_leader = leader != kNoNode && leader != self_;
  if (epoch > state_.epoch) {
    if (other_leader)
      become_follower(epoch, leader, now_ms);
    else
      become_unattached(epoch, now_ms);
  } else if (epoch == state_.epoch && other_leader && state_.leader == kNoNode) {
    become_follower(epoch, leader, now_ms);  // this epoch's election was won by `leader`
  }
}

void RaftCore::tick(int64_t now_ms) {
  switch (role_) {
    case Role::kUnattached:
      if (now_ms >= election_deadline_ms_) become_prospective(now_ms);
      break;
    case Role::kFollower:
      if (now_ms - leader_heard_ms_ >= config_.fetch_timeout_ms) {
        become_prospective(now_ms);
      } else if (now_ms >= next_fetch_ms_) {
        send(state_.leader, FetchRequest{state_.epoch, self_});
        next_fetch_ms_ = now_ms + config_.fetch_interval_ms;
      }
      break;
    case Role::kProspective:
    case Role::kCandidate:
      // No majority in time: back off, then ask again (a fresh pre-vote).
      if (now_ms >= election_deadline_ms_) {
        role_ = Role::kUnattached;
        granted_.clear();
        election_deadline_ms_ = now_ms + backoff_ms();
      }
      break;
    case Role::kLeader: {
      // Check quorum: a leader that a majority stopped fetching from resigns.
      size_t fresh = 0;
      for (size_t i = 0; i < voters_.size(); ++i)
        if (voters_[i] == self_ || now_ms - last_fetch_ms_[i] < config_.fetch_timeout_ms * 3 / 2) ++fresh;
      if (fresh < majority()) {
        role_ = Role::kUnattached;
        election_deadline_ms_ = now_ms + backoff_ms();
        break;
      }
      if (now_ms >= next_begin_ms_) {
        for (size_t i = 0; i < voters_.size(); ++i)
          if (voters_[i] != self_ && now_ms - last_fetch_ms_[i] >= config_.fetch_interval_ms * 2)
            send(voters_[i], BeginQuorumEpoch{state_.epoch, self_});
        next_begin_ms_ = now_ms + config_.fetch_interval_ms;
      }
      break;
    }
  }
}

void RaftCore::receive(NodeId from, const Message& message, int64_t now_ms) {
  if (!std::binary_search(voters_.begin(), voters_.end(), from) || from == self_) return;
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, VoteRequest>) on_vote_request(from, m, now_ms);
        if constexpr (std::is_same_v<T, VoteResponse>) on_vote_response(from, m, now_ms);
        if constexpr (std::is_same_v<T, BeginQuorumEpoch>) on_begin_quorum_epoch(from, m, now_ms);
        if constexpr (std::is_same_v<T, BeginQuorumEpochResponse>) observe_epoch(m.epoch, m.leader, now_ms);
        if constexpr (std::is_same_v<T, FetchRequest>) on_fetch_request(from, m, now_ms);
        if constexpr (std::is_same_v<T, FetchResponse>) on_fetch_response(m, now_ms);
      },
      message);
}

void RaftCore::on_vote_request(NodeId from, const VoteRequest& request, int64_t now_ms) {
  auto answer = [&](bool granted) {
    send(from, VoteResponse{state_.epoch, state_.leader, granted, request.pre_vote, request.candidate_epoch});
  };
  if (request.pre_vote) {
    // Granted only to a log at least as complete as ours, for an epoch past
    // ours, while we hear from no leader (so a partitioned node that comes
    // back cannot unseat a healthy one).
    const bool hearing_leader =
        role_ == Role::kLeader ||
        (role_ == Role::kFollower && now_ms - leader_heard_ms_ < config_.fetch_timeout_ms);
    answer(request.candidate_epoch > state_.epoch && !hearing_leader && request.candidate_log >= log_);
    return;
  }
  if (request.candidate_epoch < state_.epoch) return answer(false);
  if (request.candidate_epoch > state_.epoch) become_unattached(request.candidate_epoch, now_ms);
  const bool may_vote = state_.leader == kNoNode && (state_.voted_for == kNoNode || state_.voted_for == from);
  const bool granted = may_vote && request.candidate_log >= log_;
  if (granted && state_.voted_for != from) {
    persist({state_.epoch, kNoNode, from});
    election_deadline_ms_ = now_ms + randomized_election_timeout_ms();
  }
  answer(granted);
}

void RaftCore::on_vote_response(NodeId from, const VoteResponse& response, int64_t now_ms) {
  if (response.epoch > state_.epoch) return observe_epoch(response.epoch, response.leader, now_ms);
  if (!response.granted) return;
  if (response.pre_vote) {
    if (role_ != Role::kProspective || response.request_epoch != state_.epoch + 1) return;
    granted_.insert(from);
    if (granted_.size() >= majority()) become_candidate(now_ms);
    return;
  }
  if (role_ != Role::kCandidate || response.request_epoch != state_.epoch) return;
  granted_.insert(from);
  if (granted_.size() >= majority()) become_leader(now_ms);
}

void RaftCore::on_begin_quorum_epoch(NodeId from, const BeginQuorumEpoch& begin, int64_t now_ms) {
  if (begin.epoch >= state_.epoch) {
    // Two leaders in one epoch would be a broken election.
    RAFT_ASSERT(begin.epoch > state_.epoch || role_ != Role::kLeader);
    become_follower(begin.epoch, begin.leader, now_ms);
  }
  send(from, BeginQuorumEpochResponse{state_.epoch, state_.leader});
}

void RaftCore::on_fetch_request(NodeId from, const FetchRequest& fetch, int64_t now_ms) {
  if (fetch.epoch > state_.epoch) {
    // A fetcher ahead of us knows a newer epoch than we do, but not its leader
    // (that would come from its leader's answers): we only move up.
    observe_epoch(fetch.epoch, kNoNode, now_ms);
    return;
  }
  if (role_ == Role::kLeader && fetch.epoch == state_.epoch) {
    auto it = std::lower_bound(voters_.begin(), voters_.end(), from);
    last_fetch_ms_[static_cast<size_t>(it - voters_.begin())] = now_ms;
  }
  // Only an acting leader names itself: one that resigned lets its
  // followers time out and elect another.
  const NodeId leader = state_.leader == self_ && role_ != Role::kLeader ? kNoNode : state_.leader;
  send(from, FetchResponse{state_.epoch, leader});
}

void RaftCore::on_fetch_response(const FetchResponse& response, int64_t now_ms) {
  if (response.epoch < state_.epoch) return;
  if (response.epoch > state_.epoch || response.leader != state_.leader) {
    observe_epoch(response.epoch, response.leader, now_ms);
    return;
  }
  if (role_ == Role::kFollower && response.leader == state_.leader) leader_heard_ms_ = now_ms;
}

}  // namespace freshet::raft
