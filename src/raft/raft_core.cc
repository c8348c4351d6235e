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

namespace {
// Entries one fetch answer carries at most.
constexpr int64_t kMaxEntriesPerFetch = 64;
}  // namespace

RaftCore::RaftCore(NodeId self, std::vector<NodeId> voters, const RaftConfig& config, const QuorumState& persisted,
                   StoredLog log, uint64_t seed, int64_t now_ms)
    : self_(self),
      start_voters_(std::move(voters)),
      voter_changes_(std::move(log.voter_changes)),
      config_(config),
      random_(seed),
      state_(persisted),
      log_start_(log.start),
      latest_snapshot_(log.latest_snapshot),
      log_(std::move(log.entries)),
      flushed_end_(log_end_offset()),
      high_watermark_(latest_snapshot_.end_offset) {  // a snapshot holds only what was committed
  // Epochs never go back along a log.
  RAFT_ASSERT(std::is_sorted(log_.begin(), log_.end()) && (log_.empty() || log_.front() >= log_start_.epoch));
  // The latest snapshot is of entries of this log.
  RAFT_ASSERT(latest_snapshot_.end_offset >= log_start_.end_offset && latest_snapshot_.end_offset <= log_end_offset());
  RAFT_ASSERT(epoch_at(latest_snapshot_.end_offset - 1) == latest_snapshot_.epoch);
  std::sort(start_voters_.begin(), start_voters_.end());
  for (auto& [offset, set] : voter_changes_) {
    // Changes are entries of this log, each a voter set.
    RAFT_ASSERT(offset >= log_start_.end_offset && offset < log_end_offset() && !set.empty());
    std::sort(set.begin(), set.end());
  }
  voters_ = voter_changes_.empty() ? start_voters_ : voter_changes_.rbegin()->second;
  observer_ = !std::binary_search(voters_.begin(), voters_.end(), self_);
  // Knowing no voter, an observer has bootstrap servers to ask.
  RAFT_ASSERT(!voters_.empty() || !config_.bootstrap_servers.empty());
  // A restarted node trusts no leader until it hears from one; a node that
  // led before the restart resigned with it (KRaft's Resigned state, here
  // unattached at the same epoch, keeping its vote for itself).
  role_ = Role::kUnattached;
  // The only voter has no one to wait for: it elects itself on the first
  // tick; an observer asks a voter who leads at once.
  election_deadline_ms_ = voters_ == VoterSet{self_} || !may_stand() ? now_ms : now_ms + randomized_election_timeout_ms();
}

std::vector<VoterProgress> RaftCore::voter_progress(int64_t now_ms) const {
  RAFT_ASSERT(role_ == Role::kLeader);
  std::vector<VoterProgress> out;
  for (const Replica& r : voter_state_) {
    if (r.id == self_)
      out.push_back({self_, flushed_end_, now_ms, now_ms});
    else
      out.push_back({r.id, r.end_offset, r.last_fetch_ms, r.last_caught_up_ms});
  }
  return out;
}

std::vector<VoterProgress> RaftCore::observer_progress() const {
  RAFT_ASSERT(role_ == Role::kLeader);
  std::vector<VoterProgress> out;
  for (const auto& [id, r] : observers_) out.push_back({id, r.end_offset, r.last_fetch_ms, r.last_caught_up_ms});
  return out;
}

RaftCore::Replica* RaftCore::replica(NodeId id) {
  RAFT_ASSERT(role_ == Role::kLeader && id != self_);
  const auto voter = std::lower_bound(voters_.begin(), voters_.end(), id);
  if (voter != voters_.end() && *voter == id) return &voter_state_[static_cast<size_t>(voter - voters_.begin())];
  auto it = observers_.find(id);
  if (it == observers_.end()) {
    if (observers_.size() >= kMaxObservers) return nullptr;
    it = observers_.emplace(id, Replica{id, 0, -1, -1, -1, std::nullopt}).first;
  }
  return &it->second;
}

void RaftCore::drop_replica_state() {
  for (Replica& r : voter_state_) r.parked.reset();
  observers_.clear();
}

LogEnd RaftCore::log_end() const { return {log_end_offset(), epoch_at(log_end_offset() - 1)}; }

int32_t RaftCore::epoch_at(int64_t offset) const {
  RAFT_ASSERT(offset >= log_start_.end_offset - 1 && offset < log_end_offset());
  if (offset < log_start_.end_offset) return log_start_.epoch;  // 0 before offset 0
  return log_[static_cast<size_t>(offset - log_start_.end_offset)];
}

int64_t RaftCore::end_of_epochs_upto(int32_t epoch) const {
  return log_start_.end_offset + (std::upper_bound(log_.begin(), log_.end(), epoch) - log_.begin());
}

void RaftCore::append(int64_t offset, std::vector<int32_t> entries, WriteSource source, VoterChanges changes) {
  RAFT_ASSERT(offset == log_end_offset());
  RAFT_ASSERT(entries.empty() || entries.front() >= epoch_at(offset - 1));
  // A voter change of its own is one entry.
  RAFT_ASSERT(source != WriteSource::kVoterChange || (entries.size() == 1 && changes.size() == 1));
  log_.insert(log_.end(), entries.begin(), entries.end());
  for (const auto& [at, set] : changes) {
    RAFT_ASSERT(at >= offset && at < log_end_offset() && !set.empty());
    voter_changes_[at] = set;
  }
  pending_.log_writes.push_back({std::nullopt, offset, std::move(entries), source, std::move(changes)});
  if (role_ == Role::kLeader) answer_parked_fetches(/*all=*/true, 0);
}

void RaftCore::truncate(int64_t offset) {
  RAFT_ASSERT(offset >= high_watermark_);  // a committed entry is never cut
  RAFT_ASSERT(offset >= log_start_.end_offset && offset <= log_end_offset());
  log_.resize(static_cast<size_t>(offset - log_start_.end_offset));
  voter_changes_.erase(voter_changes_.lower_bound(offset), voter_changes_.end());
  flushed_end_ = std::min(flushed_end_, offset);
  pending_.log_writes.push_back({offset, offset, {}, WriteSource::kFetched, {}});
}

bool RaftCore::propose(int count) {
  RAFT_ASSERT(!installing_);
  if (role_ != Role::kLeader) return false;
  append(log_end_offset(), std::vector<int32_t>(static_cast<size_t>(count), state_.epoch), WriteSource::kProposal);
  return true;
}

size_t RaftCore::granted_by_voters() const {
  return static_cast<size_t>(std::count_if(granted_.begin(), granted_.end(), [&](NodeId id) {
    return std::binary_search(voters_.begin(), voters_.end(), id);
  }));
}

VoterChangeRefusal RaftCore::add_voter(NodeId id, int64_t now_ms) {
  RAFT_ASSERT(!installing_);
  if (role_ != Role::kLeader) return VoterChangeRefusal::kNotLeader;
  if (std::binary_search(voters_.begin(), voters_.end(), id)) return VoterChangeRefusal::kAlreadyVoter;
  // One change at a time, and not before this epoch committed an entry: a
  // change the last leader left uncommitted may still be cut, and two
  // concurrent changes could make disjoint majorities.
  if (high_watermark_ <= epoch_start_offset_ || last_voter_change_offset() >= high_watermark_)
    return VoterChangeRefusal::kPending;
  const auto it = observers_.find(id);
  if (it == observers_.end() || it->second.last_caught_up_ms < 0 ||
      now_ms - it->second.last_caught_up_ms >= config_.fetch_timeout_ms)
    return VoterChangeRefusal::kNotCaughtUp;
  VoterSet next = voters_;
  next.insert(std::upper_bound(next.begin(), next.end(), id), id);
  append_voter_change(std::move(next), now_ms);
  return VoterChangeRefusal::kNone;
}

VoterChangeRefusal RaftCore::remove_voter(NodeId id, int64_t now_ms) {
  RAFT_ASSERT(!installing_);
  if (role_ != Role::kLeader) return VoterChangeRefusal::kNotLeader;
  if (!std::binary_search(voters_.begin(), voters_.end(), id)) return VoterChangeRefusal::kNotVoter;
  if (voters_.size() == 1) return VoterChangeRefusal::kLastVoter;
  if (high_watermark_ <= epoch_start_offset_ || last_voter_change_offset() >= high_watermark_)
    return VoterChangeRefusal::kPending;
  VoterSet next = voters_;
  next.erase(std::lower_bound(next.begin(), next.end(), id));
  append_voter_change(std::move(next), now_ms);
  return VoterChangeRefusal::kNone;
}

bool RaftCore::restate_voters(int64_t now_ms) {
  RAFT_ASSERT(!installing_);
  if (role_ != Role::kLeader) return false;
  append_voter_change(voters_, now_ms);
  return true;
}

void RaftCore::append_voter_change(VoterSet next, int64_t now_ms) {
  RAFT_ASSERT(role_ == Role::kLeader);
  const int64_t at = log_end_offset();
  append(at, {state_.epoch}, WriteSource::kVoterChange, {{at, std::move(next)}});
  use_latest_voters(now_ms);
}

void RaftCore::use_latest_voters(int64_t now_ms) {
  const VoterSet& latest = voter_changes_.empty() ? start_voters_ : voter_changes_.rbegin()->second;
  if (latest == voters_) return;
  voters_ = latest;
  observer_ = !std::binary_search(voters_.begin(), voters_.end(), self_);
  if (role_ == Role::kLeader) {
    // The voters' progress carries over, an added voter's from its fetches
    // as an observer; a removed one is an observer from now on.
    std::vector<Replica> next;
    for (NodeId id : voters_) {
      auto old = std::find_if(voter_state_.begin(), voter_state_.end(), [&](const Replica& r) { return r.id == id; });
      if (old != voter_state_.end()) {
        next.push_back(std::move(*old));
      } else if (auto it = observers_.find(id); it != observers_.end()) {
        next.push_back(std::move(it->second));
        observers_.erase(it);
      } else {
        next.push_back(Replica{id, 0, now_ms, -1, -1, std::nullopt});
      }
    }
    for (Replica& r : voter_state_)
      if (r.id != self_ && !std::binary_search(voters_.begin(), voters_.end(), r.id) && observers_.size() < kMaxObservers)
        observers_.emplace(r.id, std::move(r));
    voter_state_ = std::move(next);
    advance_high_watermark();
  } else if (!may_stand() && (role_ == Role::kProspective || role_ == Role::kCandidate)) {
    // Listed by no voter set of the log any more (a truncation took back the change that added it).
    role_ = Role::kUnattached;
    granted_.clear();
    next_fetch_ms_ = now_ms;
  }
}

void RaftCore::peer_lost(NodeId peer, int64_t now_ms) {
  RAFT_ASSERT(!installing_);
  if (role_ != Role::kFollower || peer != state_.leader || leader_lost_) return;
  // A random moment from now (up to a tenth of the election backoff): the
  // followers that all lost the leader at once rarely ask at once and split
  // the vote.
  leader_gone(static_cast<int64_t>(random_() % static_cast<uint64_t>(config_.election_backoff_max_ms / 10 + 1)), now_ms);
}

void RaftCore::leader_gone(int64_t delay_ms, int64_t now_ms) {
  RAFT_ASSERT(role_ == Role::kFollower);
  leader_lost_ = true;
  leader_heard_ms_ = std::min(leader_heard_ms_, now_ms - config_.fetch_timeout_ms + delay_ms);
}

void RaftCore::resign(int64_t now_ms) {
  RAFT_ASSERT(!installing_);
  if (role_ != Role::kLeader) return;
  // The voters most caught up first: the likeliest to win at once.
  std::vector<const Replica*> others;
  for (const Replica& r : voter_state_)
    if (r.id != self_) others.push_back(&r);
  std::stable_sort(others.begin(), others.end(), [](const Replica* a, const Replica* b) { return a->end_offset > b->end_offset; });
  EndQuorumEpoch end{state_.epoch, self_, {}};
  for (const Replica* r : others) end.preferred_successors.push_back(r->id);
  for (const Replica* r : others) send(r->id, end);
  role_ = Role::kUnattached;
  drop_replica_state();
  // It does not stand again before the others had their chance.
  election_deadline_ms_ = now_ms + randomized_election_timeout_ms();
  next_fetch_ms_ = now_ms;
}

void RaftCore::snapshot_taken(SnapshotId snapshot) {
  RAFT_ASSERT(!installing_);
  // Of committed, durable entries, and newer than the last.
  RAFT_ASSERT(snapshot.end_offset > latest_snapshot_.end_offset);
  RAFT_ASSERT(snapshot.end_offset <= high_watermark_ && snapshot.end_offset <= flushed_end_);
  RAFT_ASSERT(epoch_at(snapshot.end_offset - 1) == snapshot.epoch);
  latest_snapshot_ = snapshot;
}

void RaftCore::advance_log_start(SnapshotId start) {
  RAFT_ASSERT(!installing_);
  RAFT_ASSERT(start.end_offset >= log_start_.end_offset && start.end_offset <= latest_snapshot_.end_offset);
  RAFT_ASSERT(epoch_at(start.end_offset - 1) == start.epoch);
  log_.erase(log_.begin(), log_.begin() + (start.end_offset - log_start_.end_offset));
  log_start_ = start;
  // The changes now below the log start make the voters at its start.
  const auto first_kept = voter_changes_.lower_bound(start.end_offset);
  if (first_kept != voter_changes_.begin()) {
    start_voters_ = std::prev(first_kept)->second;
    voter_changes_.erase(voter_changes_.begin(), first_kept);
  }
}

bool RaftCore::snapshot_replaces_log(SnapshotId snapshot) const {
  if (snapshot.end_offset <= log_start_.end_offset) return false;
  return snapshot.end_offset > log_end_offset() || epoch_at(snapshot.end_offset - 1) != snapshot.epoch;
}

void RaftCore::install_snapshot(SnapshotId snapshot, VoterSet voters) {
  // The log has not moved since the leader said to fetch it (fetch answers
  // wait until it is whole), and it ends before the snapshot or parts from
  // it below its end: above what is committed here, which it covers.
  RAFT_ASSERT(role_ == Role::kFollower && snapshot_replaces_log(snapshot));
  RAFT_ASSERT(snapshot.end_offset >= high_watermark_);
  log_.clear();
  std::sort(voters.begin(), voters.end());
  start_voters_ = std::move(voters);
  voter_changes_.clear();
  log_start_ = snapshot;
  latest_snapshot_ = snapshot;
  flushed_end_ = snapshot.end_offset;  // installed durably before anything is sent
  high_watermark_ = std::max(high_watermark_, snapshot.end_offset);
  snapshot_fetch_.reset();
}

void RaftCore::snapshot_installed(VoterSet voters, int64_t now_ms) {
  RAFT_ASSERT(installing_ && snapshot_fetch_);
  installing_ = false;
  install_snapshot(snapshot_fetch_->snapshot, std::move(voters));
  use_latest_voters(now_ms);
  next_fetch_ms_ = now_ms;
  fetch_if_idle(now_ms);
}

void RaftCore::flushed(int64_t end_offset, int64_t now_ms) {
  RAFT_ASSERT(!installing_);
  RAFT_ASSERT(end_offset >= 0);
  flushed_end_ = std::max(flushed_end_, std::min(end_offset, log_end_offset()));
  if (role_ == Role::kLeader) advance_high_watermark();
  if (role_ == Role::kFollower) {
    next_fetch_ms_ = now_ms;  // fetch on
    fetch_if_idle(now_ms);
  }
}

void RaftCore::fetch_if_idle(int64_t now_ms) {
  RAFT_ASSERT(role_ == Role::kFollower);
  if (now_ms < next_fetch_ms_ || flushed_end_ != log_end_offset() || installing_) return;
  if (snapshot_fetch_) {
    send(state_.leader, FetchSnapshotRequest{state_.epoch, self_, snapshot_fetch_->snapshot, snapshot_fetch_->position});
    next_fetch_ms_ = now_ms + config_.request_timeout_ms;
    return;
  }
  // From the durable end: the leader counts what we fetch from as held.
  send(state_.leader,
       FetchRequest{state_.epoch, self_, flushed_end_, epoch_at(flushed_end_ - 1), config_.fetch_max_wait_ms});
  // Answered at once or within the max wait; ask again only if it was lost.
  next_fetch_ms_ = now_ms + config_.fetch_max_wait_ms + config_.request_timeout_ms;
}

void RaftCore::answer_parked_fetches(bool all, int64_t now_ms) {
  RAFT_ASSERT(role_ == Role::kLeader);
  auto answer = [&](Replica& r) {
    if (!r.parked || (!all && now_ms < r.parked->deadline_ms)) return;
    const FetchRequest fetch = r.parked->fetch;
    r.parked.reset();
    send(r.id, answer_fetch(r, fetch));
  };
  for (Replica& r : voter_state_) answer(r);
  for (auto& [id, r] : observers_) answer(r);
}

bool RaftCore::may_stand() const {
  auto lists_self = [&](const VoterSet& set) { return std::binary_search(set.begin(), set.end(), self_); };
  if (lists_self(voters_)) return true;
  // Removed by the latest change: only while that may be uncommitted (as
  // far as this node knows), else it would unseat the voters' leaders.
  if (high_watermark_ > last_voter_change_offset()) return false;
  return lists_self(start_voters_) ||
         std::any_of(voter_changes_.begin(), voter_changes_.end(), [&](const auto& change) { return lists_self(change.second); });
}

void RaftCore::ask_a_voter(int64_t now_ms) {
  RAFT_ASSERT(!may_stand());
  if (now_ms < next_fetch_ms_ || flushed_end_ != log_end_offset()) return;
  VoterSet asked = voters_.empty() ? config_.bootstrap_servers : voters_;
  // The leader it followed too: a log behind may list other voters than
  // those of now, whose answers name the leader but are not from it.
  if (state_.leader != kNoNode && state_.leader != self_ && std::find(asked.begin(), asked.end(), state_.leader) == asked.end())
    asked.push_back(state_.leader);
  const NodeId voter = asked[next_voter_asked_++ % asked.size()];
  // No max wait: a leader answers at once, with entries if it is ours.
  send(voter, FetchRequest{state_.epoch, self_, flushed_end_, epoch_at(flushed_end_ - 1), 0});
  next_fetch_ms_ = now_ms + config_.request_timeout_ms;
}

void RaftCore::advance_high_watermark() {
  std::vector<int64_t> ends;
  for (const Replica& r : voter_state_) ends.push_back(r.id == self_ ? flushed_end_ : r.end_offset);
  std::sort(ends.begin(), ends.end(), std::greater<>());
  const int64_t held_by_majority = ends[majority() - 1];
  // Only an entry of this epoch commits (with it, all before it): an older
  // epoch's entry held by a majority may still be overwritten (Raft §5.4.2).
  if (held_by_majority > high_watermark_ && epoch_at(held_by_majority - 1) == state_.epoch) {
    high_watermark_ = held_by_majority;
    answer_parked_fetches(/*all=*/true, 0);  // followers learn the commit at once
  }
}

std::optional<DivergingEpoch> RaftCore::divergence(int64_t offset, int32_t last_epoch) const {
  RAFT_ASSERT(offset >= log_start_.end_offset);
  if (offset == 0) return std::nullopt;
  if (offset <= log_end_offset() && epoch_at(offset - 1) == last_epoch) return std::nullopt;
  // Entries of epochs up to last_epoch: a prefix, since epochs ascend.
  const int64_t end_offset = end_of_epochs_upto(last_epoch);
  return DivergingEpoch{epoch_at(end_offset - 1), end_offset};
}

bool RaftCore::needs_snapshot(int64_t offset, int32_t last_epoch) const {
  if (log_start_.end_offset == 0) return false;
  if (offset < log_start_.end_offset) return true;
  const auto diverging = divergence(offset, last_epoch);
  return diverging && diverging->epoch > last_epoch;
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
  drop_replica_state();
  snapshot_fetch_.reset();
  election_deadline_ms_ = may_stand() ? now_ms + randomized_election_timeout_ms() : now_ms;
  next_fetch_ms_ = now_ms;
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
  drop_replica_state();
  snapshot_fetch_.reset();
  leader_heard_ms_ = now_ms;
  leader_lost_ = false;
  next_fetch_ms_ = now_ms;
  fetch_if_idle(now_ms);
}

void RaftCore::become_prospective(int64_t now_ms) {
  RAFT_ASSERT(may_stand());
  role_ = Role::kProspective;
  snapshot_fetch_.reset();
  granted_ = {self_};
  election_deadline_ms_ = now_ms + randomized_election_timeout_ms();
  send_to_others(VoteRequest{state_.epoch + 1, self_, log_end(), /*pre_vote=*/true});
  if (granted_by_voters() >= majority()) become_candidate(now_ms);  // a quorum of one
}

void RaftCore::become_candidate(int64_t now_ms) {
  persist({state_.epoch + 1, kNoNode, self_});
  role_ = Role::kCandidate;
  granted_ = {self_};
  election_deadline_ms_ = now_ms + randomized_election_timeout_ms();
  send_to_others(VoteRequest{state_.epoch, self_, log_end(), /*pre_vote=*/false});
  if (granted_by_voters() >= majority()) become_leader(now_ms);
}

void RaftCore::become_leader(int64_t now_ms) {
  RAFT_ASSERT(role_ == Role::kCandidate && state_.voted_for == self_ && state_.leader == kNoNode);
  RAFT_ASSERT(may_stand() && granted_by_voters() >= majority());
  persist({state_.epoch, self_, self_});
  role_ = Role::kLeader;
  // Every voter counts as just heard from: check-quorum starts now.
  voter_state_.clear();
  for (NodeId id : voters_) voter_state_.push_back(Replica{id, 0, now_ms, -1, -1, std::nullopt});
  observers_.clear();
  next_begin_ms_ = now_ms + config_.fetch_interval_ms;
  // The epoch's first entry (KRaft's LeaderChangeMessage): once it commits,
  // so does everything before it.
  epoch_start_offset_ = log_end_offset();
  append(epoch_start_offset_, {state_.epoch}, WriteSource::kLeaderChange);
  send_to_others(BeginQuorumEpoch{state_.epoch, self_});
}

void RaftCore::observe_epoch(int32_t epoch, NodeId leader, int64_t now_ms) {
  const bool other_leader = leader != kNoNode && leader != self_;
  if (epoch > state_.epoch) {
    if (other_leader)
      become_follower(epoch, leader, now_ms);
    else
      become_unattached(epoch, now_ms);
  } else if (epoch == state_.epoch && other_leader &&
             (state_.leader == kNoNode || (role_ == Role::kUnattached && state_.leader == leader))) {
    // This epoch's election was won by `leader` (or, restarted, we knew so
    // and hear of it again).
    become_follower(epoch, leader, now_ms);
  }
}

void RaftCore::tick(int64_t now_ms) {
  RAFT_ASSERT(!installing_);
  switch (role_) {
    case Role::kUnattached:
      if (!may_stand())
        ask_a_voter(now_ms);
      else if (now_ms >= election_deadline_ms_)
        become_prospective(now_ms);
      break;
    case Role::kFollower:
      if (now_ms - leader_heard_ms_ < config_.fetch_timeout_ms)
        fetch_if_idle(now_ms);
      else if (!may_stand())
        ask_a_voter(now_ms);  // the leader is silent: who leads now?
      else
        become_prospective(now_ms);
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
      // A leader that removed itself resigns once the change committed
      // (not sooner: until then, it may be the only one to hold it).
      if (observer_ && high_watermark_ > last_voter_change_offset()) {
        resign(now_ms);
        break;
      }
      // Check quorum: a leader that a majority stopped fetching from resigns.
      size_t fresh = 0;
      for (const Replica& r : voter_state_)
        if (r.id == self_ || now_ms - r.last_fetch_ms < config_.fetch_timeout_ms * 3 / 2) ++fresh;
      if (fresh < majority()) {
        role_ = Role::kUnattached;
        drop_replica_state();
        election_deadline_ms_ = now_ms + backoff_ms();
        break;
      }
      answer_parked_fetches(/*all=*/false, now_ms);
      if (now_ms >= next_begin_ms_) {
        for (const Replica& r : voter_state_)
          if (r.id != self_ && now_ms - r.last_fetch_ms >= config_.fetch_interval_ms * 2)
            send(r.id, BeginQuorumEpoch{state_.epoch, self_});
        next_begin_ms_ = now_ms + config_.fetch_interval_ms;
      }
      break;
    }
  }
}

void RaftCore::receive(NodeId from, const Message& message, int64_t now_ms) {
  RAFT_ASSERT(!installing_);
  if (from == self_) return;
  // From any node: the voter set moves with the log, so a candidate or a
  // leader this log does not list as a voter yet may be one (its votes
  // count only once this log lists it).
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, VoteRequest>) on_vote_request(from, m, now_ms);
        if constexpr (std::is_same_v<T, VoteResponse>) on_vote_response(from, m, now_ms);
        if constexpr (std::is_same_v<T, BeginQuorumEpoch>) on_begin_quorum_epoch(from, m, now_ms);
        if constexpr (std::is_same_v<T, BeginQuorumEpochResponse>) observe_epoch(m.epoch, m.leader, now_ms);
        if constexpr (std::is_same_v<T, EndQuorumEpoch>) on_end_quorum_epoch(from, m, now_ms);
        if constexpr (std::is_same_v<T, EndQuorumEpochResponse>) observe_epoch(m.epoch, m.leader, now_ms);
        if constexpr (std::is_same_v<T, FetchRequest>) on_fetch_request(from, m, now_ms);
        if constexpr (std::is_same_v<T, FetchResponse>) on_fetch_response(from, m, now_ms);
        if constexpr (std::is_same_v<T, FetchSnapshotRequest>) on_fetch_snapshot_request(from, m, now_ms);
        if constexpr (std::is_same_v<T, FetchSnapshotResponse>) on_fetch_snapshot_response(from, m, now_ms);
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
        (role_ == Role::kFollower && !leader_lost_ && now_ms - leader_heard_ms_ < config_.fetch_timeout_ms);
    answer(request.candidate_epoch > state_.epoch && !hearing_leader && request.candidate_log >= log_end());
    return;
  }
  if (request.candidate_epoch < state_.epoch) return answer(false);
  if (request.candidate_epoch > state_.epoch) become_unattached(request.candidate_epoch, now_ms);
  const bool may_vote = state_.leader == kNoNode && (state_.voted_for == kNoNode || state_.voted_for == from);
  const bool granted = may_vote && request.candidate_log >= log_end();
  if (granted && state_.voted_for != from) {
    persist({state_.epoch, kNoNode, from});
    election_deadline_ms_ = now_ms + randomized_election_timeout_ms();
  }
  answer(granted);
}

void RaftCore::on_vote_response(NodeId from, const VoteResponse& response, int64_t now_ms) {
  if (response.epoch > state_.epoch) return observe_epoch(response.epoch, response.leader, now_ms);
  // A voter refuses because it still hears this epoch's leader (KIP-996):
  // fetch from it again. (A leader that removed us from its voters sends us
  // no BeginQuorumEpoch; this is how we learn to fetch from it, and so of
  // the removal.) Only its own answer counts as hearing from it: two nodes
  // that each hear of the leader only from the other must not keep each
  // other following a leader that is gone.
  if (role_ == Role::kProspective && !response.granted && response.epoch == state_.epoch &&
      response.leader != kNoNode && response.leader != self_ &&
      (state_.leader == kNoNode || state_.leader == response.leader)) {
    const int64_t heard_ms = state_.leader == response.leader ? leader_heard_ms_ : now_ms - config_.fetch_timeout_ms;
    become_follower(state_.epoch, response.leader, now_ms);
    leader_heard_ms_ = heard_ms;
    return;
  }
  if (!response.granted) return;
  if (response.pre_vote) {
    if (role_ != Role::kProspective || response.request_epoch != state_.epoch + 1) return;
    granted_.insert(from);
    if (granted_by_voters() >= majority()) become_candidate(now_ms);
    return;
  }
  if (role_ != Role::kCandidate || response.request_epoch != state_.epoch) return;
  granted_.insert(from);
  if (granted_by_voters() >= majority()) become_leader(now_ms);
}

void RaftCore::on_begin_quorum_epoch(NodeId from, const BeginQuorumEpoch& begin, int64_t now_ms) {
  if (begin.epoch >= state_.epoch) {
    // Two leaders in one epoch would be a broken election.
    RAFT_ASSERT(begin.epoch > state_.epoch || role_ != Role::kLeader);
    become_follower(begin.epoch, begin.leader, now_ms);
  }
  send(from, BeginQuorumEpochResponse{state_.epoch, state_.leader});
}

void RaftCore::on_end_quorum_epoch(NodeId from, const EndQuorumEpoch& end, int64_t now_ms) {
  if (end.epoch > state_.epoch) observe_epoch(end.epoch, kNoNode, now_ms);
  // Our leader resigns: the successors it prefers ask first, each a little
  // after the one before (KRaft's backoff by position), so they rarely split the vote.
  if (end.epoch == state_.epoch && role_ == Role::kFollower && from == state_.leader && end.leader == state_.leader &&
      !leader_lost_) {
    const auto position = std::find(end.preferred_successors.begin(), end.preferred_successors.end(), self_) -
                          end.preferred_successors.begin();
    const int64_t step_ms = config_.election_backoff_max_ms / 10 + 1;
    leader_gone(static_cast<int64_t>(position) * step_ms +
                    static_cast<int64_t>(random_() % static_cast<uint64_t>(step_ms)),
                now_ms);
  }
  send(from, EndQuorumEpochResponse{state_.epoch, acting_leader()});
}

void RaftCore::on_fetch_request(NodeId from, const FetchRequest& fetch, int64_t now_ms) {
  if (fetch.epoch > state_.epoch) {
    // A fetcher ahead of us knows a newer epoch than we do, but not its leader
    // (that would come from its leader's answers): we only move up.
    observe_epoch(fetch.epoch, kNoNode, now_ms);
    return;
  }
  if (role_ == Role::kLeader && fetch.epoch == state_.epoch) {
    Replica* r = replica(from);
    if (!r) return;  // past the bound on observers: unanswered, it asks again later
    r->last_fetch_ms = now_ms;
    if (fetch.fetch_offset >= log_end_offset()) r->last_caught_up_ms = now_ms;
    r->parked.reset();  // a newer fetch supersedes a parked one
    const bool matches = !needs_snapshot(fetch.fetch_offset, fetch.last_fetched_epoch) &&
                         !divergence(fetch.fetch_offset, fetch.last_fetched_epoch);
    if (matches) {
      r->end_offset = fetch.fetch_offset;
      advance_high_watermark();  // observers' ends do not count
    }
    // Caught up with nothing new to learn: hold the fetch (long poll).
    if (matches && fetch.max_wait_ms > 0 && fetch.fetch_offset == log_end_offset() && r->hw_told == high_watermark_) {
      r->parked = ParkedFetch{fetch, now_ms + std::min(fetch.max_wait_ms, config_.fetch_max_wait_ms)};
      return;
    }
    send(from, answer_fetch(*r, fetch));
    return;
  }
  FetchResponse response;
  response.epoch = state_.epoch;
  response.leader = acting_leader();
  send(from, std::move(response));
}

NodeId RaftCore::acting_leader() const {
  // Only an acting leader names itself: one that resigned lets its
  // followers time out and elect another.
  return state_.leader == self_ && role_ != Role::kLeader ? kNoNode : state_.leader;
}

void RaftCore::on_fetch_snapshot_request(NodeId from, const FetchSnapshotRequest& fetch, int64_t now_ms) {
  if (fetch.epoch > state_.epoch) return observe_epoch(fetch.epoch, kNoNode, now_ms);
  FetchSnapshotResponse response{state_.epoch, acting_leader(), std::nullopt};
  if (role_ == Role::kLeader && fetch.epoch == state_.epoch) {
    if (Replica* r = replica(from)) r->last_fetch_ms = now_ms;
    // Only the latest is served: an older one may be gone already.
    if (fetch.snapshot == latest_snapshot_ && latest_snapshot_.end_offset > 0) {
      response.snapshot = latest_snapshot_;
      response.position = fetch.position;
    }
  }
  send(from, response);
}

void RaftCore::on_fetch_snapshot_response(NodeId from, const FetchSnapshotResponse& response, int64_t now_ms) {
  if (!from_our_leader(from, response.epoch, response.leader, now_ms) || !snapshot_fetch_) return;
  if (!response.snapshot) {
    snapshot_fetch_.reset();  // gone: the next fetch learns of the newer one
  } else {
    // Only the answer for where the fetch is now applies (not a late or duplicated one).
    if (*response.snapshot != snapshot_fetch_->snapshot || response.position != snapshot_fetch_->position) return;
    if (response.chunk_bytes <= 0 || response.position + response.chunk_bytes > response.total_bytes) return;
    const bool complete = response.position + response.chunk_bytes == response.total_bytes;
    pending_.snapshot_writes.push_back({snapshot_fetch_->snapshot, response.position, complete});
    snapshot_fetch_->position += response.chunk_bytes;
    if (complete) {
      installing_ = true;  // the driver installs it and says so (snapshot_installed) before anything else
      return;
    }
  }
  next_fetch_ms_ = now_ms;
  fetch_if_idle(now_ms);
}

bool RaftCore::from_our_leader(NodeId from, int32_t epoch, NodeId leader, int64_t now_ms) {
  if (epoch < state_.epoch) return false;
  if (epoch > state_.epoch || leader != state_.leader || role_ == Role::kUnattached) {
    observe_epoch(epoch, leader, now_ms);
    return false;
  }
  // An observer asks other voters too: only the leader's own answer is from it.
  if (role_ != Role::kFollower || from != state_.leader) return false;
  leader_heard_ms_ = now_ms;
  leader_lost_ = false;  // it answers after all
  return true;
}

FetchResponse RaftCore::answer_fetch(Replica& replica, const FetchRequest& fetch) {
  RAFT_ASSERT(role_ == Role::kLeader && replica.id != self_);
  FetchResponse response;
  response.epoch = state_.epoch;
  response.leader = self_;
  response.base_offset = fetch.fetch_offset;
  response.base_last_epoch = fetch.last_fetched_epoch;
  if (needs_snapshot(fetch.fetch_offset, fetch.last_fetched_epoch)) {
    response.snapshot = latest_snapshot_;
    return response;
  }
  response.diverging = divergence(fetch.fetch_offset, fetch.last_fetched_epoch);
  if (!response.diverging) {
    response.high_watermark = high_watermark_;
    replica.hw_told = high_watermark_;
    const int64_t end = std::min(log_end_offset(), fetch.fetch_offset + kMaxEntriesPerFetch);
    const auto first = log_.begin() + (fetch.fetch_offset - log_start_.end_offset);
    response.entries.assign(first, first + (end - fetch.fetch_offset));
    response.voter_changes.insert(voter_changes_.lower_bound(fetch.fetch_offset), voter_changes_.lower_bound(end));
  }
  return response;
}

void RaftCore::on_fetch_response(NodeId from, const FetchResponse& response, int64_t now_ms) {
  if (!from_our_leader(from, response.epoch, response.leader, now_ms)) return;
  // Only an answer to a fetch from where the log ends now applies: a late or
  // duplicated one for an older position must not cut or extend the log;
  // none does while a snapshot is being fetched.
  const int64_t end = log_end_offset();
  if (response.base_offset != end || response.base_last_epoch != epoch_at(end - 1) || snapshot_fetch_) return;
  if (response.snapshot) {
    if (!snapshot_replaces_log(*response.snapshot)) return;  // a stale answer
    snapshot_fetch_ = SnapshotFetch{*response.snapshot, 0};
  } else if (response.diverging) {
    // Cut to where both logs agree: the leader's end of the epoch, or ours
    // of it when ours ends sooner.
    const int64_t ours = end_of_epochs_upto(response.diverging->epoch);
    const int64_t cut = std::min(response.diverging->end_offset, ours);
    if (cut < log_end_offset()) {
      truncate(cut);
      use_latest_voters(now_ms);
    }
  } else {
    const int64_t entries_end = response.base_offset + static_cast<int64_t>(response.entries.size());
    for (const auto& [at, set] : response.voter_changes)
      if (at < response.base_offset || at >= entries_end || set.empty()) return;  // not of these entries
    if (!response.entries.empty()) {
      append(response.base_offset, response.entries, WriteSource::kFetched, response.voter_changes);
      use_latest_voters(now_ms);
    }
    high_watermark_ = std::max(high_watermark_, std::min(response.high_watermark, log_end_offset()));
  }
  // Fetch on: at once when nothing is left to sync, else once it is (flushed()).
  next_fetch_ms_ = now_ms;
  fetch_if_idle(now_ms);
}

}  // namespace freshet::raft
