// One KRaft voter or observer as a pure, deterministic state machine: no sockets,
// clocks, threads or files. Time and messages are handed in (tick,
// receive); what to persist and what to send comes out (take_actions), and
// the driver persists the quorum state before it sends anything, so that a
// vote or an epoch is never promised and then forgotten by a crash.
//
// It elects leaders (KRaft's Vote with pre-vote, KIP-996: a prospective
// candidate asks first, without bumping the epoch, and voters that still
// hear from a leader refuse; BeginQuorumEpoch; the leader's check-quorum;
// randomized election backoff) and replicates the log by Fetch: followers
// pull from where their durable log ends, the leader answers with entries or
// with where the follower's log diverges (which it truncates), and commits
// (the high watermark) what a majority holds durably once an entry of its
// own epoch is among it. A log entry is seen as its epoch; what entries
// carry is the driver's.
//
// Snapshots: the driver snapshots the committed prefix now and then
// (snapshot_taken) and lets the log start later (advance_log_start, always
// at a snapshot). A follower that fetches from below the leader's log start
// is told to fetch the leader's latest snapshot (FetchSnapshot, chunk by
// chunk); once the driver installed all of it, its log restarts empty after it.
//
// Observers (a node not among the voters: a broker-only node) follow the
// log as followers do but never stand (see may_stand()): one that knows no
// leader, or stopped hearing from it, asks the voters in turn and the
// leader it followed (or, knowing none yet, the bootstrap servers); any
// answer names the leader that node knows. The leader serves at most
// kMaxObservers of them. Votes and BeginQuorumEpoch are taken from any node
// (the voter set moves with the log); only the current voters' votes count.
//
// The voter set may change (KIP-853), one voter at a time as in Raft's
// single-server changes: the leader appends an entry that sets the new
// voters, and every replica uses the latest voter set its log holds,
// committed or not (a truncation can take it back). The leader takes a
// change only once an entry of its epoch committed and no earlier change is
// uncommitted, adds only an observer that keeps up with its log, and, when
// it removed itself, leads until that change commits and then resigns. A
// prospective candidate refused by a voter that hears this epoch's leader
// fetches from that leader again (KIP-996), which is how a voter removed
// while it was away learns of it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <vector>

#include "raft/invariant.h"
#include "raft/messages.h"

namespace freshet::raft {

// What the `quorum-state` file keeps.
struct QuorumState {
  int32_t epoch = 0;
  NodeId leader = kNoNode;
  NodeId voted_for = kNoNode;
  friend bool operator==(const QuorumState&, const QuorumState&) = default;
};

// Observers a leader tracks (and holds fetches for) at most; others go unanswered.
inline constexpr size_t kMaxObservers = 64;

struct RaftConfig {
  int64_t election_timeout_ms = 1000;       // controller.quorum.election.timeout.ms
  int64_t fetch_timeout_ms = 2000;          // controller.quorum.fetch.timeout.ms
  int64_t election_backoff_max_ms = 1000;   // controller.quorum.election.backoff.max.ms
  int64_t fetch_interval_ms = 500;          // how often a leader re-announces itself to a silent voter
  int64_t fetch_max_wait_ms = 500;          // how long a leader holds a caught-up follower's fetch
  int64_t request_timeout_ms = 2000;        // controller.quorum.request.timeout.ms: a follower fetches again
                                            // when its fetch got no answer in this long
  // controller.quorum.bootstrap.servers, as ids the driver maps to their
  // addresses (negative, as Kafka numbers them): whom an observer that
  // knows no voter asks who leads.
  std::vector<NodeId> bootstrap_servers;
};

enum class Role { kUnattached, kFollower, kProspective, kCandidate, kLeader };
const char* role_name(Role role);

struct Outbound {
  NodeId to;
  Message message;
};

// Where a log write's entries come from, which tells the driver what they
// carry: the new leader's first entry of its epoch (KRaft's
// LeaderChangeMessage), the entries of the last propose(), the entry of the
// last add_voter() or remove_voter() (a VotersRecord), or those of the
// fetch answer just received.
enum class WriteSource { kLeaderChange, kProposal, kVoterChange, kFetched };

// Log writes, in order: cut the log to `truncate_to` (if set), then append
// `entries` at `append_offset`. The driver reports durability with flushed().
struct LogWrite {
  std::optional<int64_t> truncate_to;
  int64_t append_offset = 0;
  std::vector<int32_t> entries;
  WriteSource source = WriteSource::kFetched;
  VoterChanges voter_changes;  // those of `entries` that set the voters (a kVoterChange's one entry)
};

// What the leader knows of one voter (DescribeQuorum): where its durable
// log ends as its last fetch said, when that fetch came, and when it last
// fetched from the leader's log end. -1: never.
struct VoterProgress {
  NodeId id;
  int64_t end_offset;
  int64_t last_fetch_ms;
  int64_t last_caught_up_ms;
};

// A chunk of a snapshot being fetched, to write at `position` of it (the
// bytes are the driver's, from the FetchSnapshot answer). `complete`: the
// snapshot is whole: the driver installs it durably (the log then restarts
// empty at its end offset) and reports it with snapshot_installed() before
// anything is sent and before any other call.
struct SnapshotWrite {
  SnapshotId snapshot;
  int64_t position = 0;
  bool complete = false;
};

struct Actions {
  std::optional<QuorumState> persist;        // write before sending
  std::vector<SnapshotWrite> snapshot_writes;  // then these, then the log writes
  std::vector<LogWrite> log_writes;          // write before sending too (not necessarily durable yet)
  std::vector<Outbound> send;
};

// What a node's storage holds of its log when the core starts: the log from
// `start` on (a snapshot's end, or {0, 0}), its entries' epochs, and the
// latest snapshot (at or after `start`, within the entries; {0, 0}: none),
// and which of its entries set the voters.
struct StoredLog {
  SnapshotId start;
  std::vector<int32_t> entries;
  SnapshotId latest_snapshot;
  VoterChanges voter_changes;
};

// Why the leader refused a change of the voters.
enum class VoterChangeRefusal {
  kNone,          // accepted: the entry is appended
  kNotLeader,
  kPending,       // an earlier change is uncommitted, or no entry of this epoch committed yet
  kNotCaughtUp,   // the voter to add has not fetched to the log's end within the fetch timeout
  kAlreadyVoter,  // adding a voter
  kNotVoter,      // removing one
  kLastVoter,     // the quorum would be empty
};

class RaftCore {
 public:
  // `voters` are those at the log's start (of the snapshot it starts at, or
  // the static controller.quorum.voters), including `self` unless it is an
  // observer; an observer's may be empty while it has bootstrap servers to
  // ask. `persisted` is what the quorum-state file held (all defaults when
  // new) and `log` what the durable log holds. `seed` drives the
  // randomized timeouts.
  RaftCore(NodeId self, std::vector<NodeId> voters, const RaftConfig& config, const QuorumState& persisted,
           StoredLog log, uint64_t seed, int64_t now_ms);

  void tick(int64_t now_ms);
  void receive(NodeId from, const Message& message, int64_t now_ms);
  // The leader appends `count` entries of its epoch (client writes), at the
  // log end offset it had before; false when not the leader.
  bool propose(int count);
  // The leader appends an entry that sets the voters to theirs plus `id` /
  // less `id` (see the top), at the log end offset it had before.
  VoterChangeRefusal add_voter(NodeId id, int64_t now_ms);
  VoterChangeRefusal remove_voter(NodeId id, int64_t now_ms);
  // The leader appends an entry that sets the voters it has (no change),
  // for a driver whose voters came from outside the log (a bootstrap
  // checkpoint), so that replicas without it learn them from the log;
  // false when not the leader.
  bool restate_voters(int64_t now_ms);
  // The leader steps down (a controlled shutdown): it tells the voters
  // (EndQuorumEpoch), which elect another at once. No-op when not leading.
  void resign(int64_t now_ms);
  // The connection to `peer` broke as a dead process's does (reset or
  // refused, not a timeout): a follower that loses its leader so stops
  // waiting for the fetch timeout: it asks for an election (a pre-vote,
  // which the voters that still hear the leader refuse) a moment later,
  // and grants pre-votes itself.
  void peer_lost(NodeId peer, int64_t now_ms);
  // The log is durable up to `end_offset` (what the driver synced of the
  // writes handed out).
  void flushed(int64_t end_offset, int64_t now_ms);
  // The snapshot fetched whole (the last SnapshotWrite) is installed
  // durably; `voters` are those it holds (the quorum's as of its end).
  void snapshot_installed(VoterSet voters, int64_t now_ms);
  // The driver holds a durable snapshot of the log below `snapshot`'s end
  // offset (committed and durable here, past the latest one).
  void snapshot_taken(SnapshotId snapshot);
  // The log starts at `start` (a snapshot the driver keeps, not past the
  // latest one): entries below it are no longer served.
  void advance_log_start(SnapshotId start);
  // Everything to persist and send since the last call.
  Actions take_actions();

  NodeId self() const { return self_; }
  Role role() const { return role_; }
  int32_t epoch() const { return state_.epoch; }
  NodeId leader() const { return state_.leader; }
  const QuorumState& quorum_state() const { return state_; }
  LogEnd log_end() const;
  // The log's entries from log_start() on.
  const std::vector<int32_t>& log() const { return log_; }
  SnapshotId log_start() const { return log_start_; }
  SnapshotId latest_snapshot() const { return latest_snapshot_; }
  // The epoch of the entry at `offset`, from log_start() - 1 on (that of the
  // log start's snapshot; 0 before offset 0).
  int32_t epoch_at(int64_t offset) const;
  int64_t high_watermark() const { return high_watermark_; }
  // Leader: the offset of its epoch's first entry (the LeaderChangeMessage).
  // Once the high watermark passes it, every entry of the epochs before is
  // committed too, so a state machine applied that far has seen all history
  // (what a new leader must see before it validates anything).
  int64_t epoch_start_offset() const {
    RAFT_ASSERT(role_ == Role::kLeader);
    return epoch_start_offset_;
  }
  // The log is durable below this offset.
  int64_t durable_end_offset() const { return flushed_end_; }
  // The voters as the latest voter set in the log says.
  const VoterSet& voters() const { return voters_; }
  bool observer() const { return observer_; }
  // Whether this node may stand for election: one its latest voter set
  // lists, or one that another voter set of its log lists while the change
  // that removed it is above its high watermark (it may be uncommitted, and
  // this node needed to commit it, Raft thesis §4.2.2; its own vote then
  // does not count). Other observers ask the voters who leads instead.
  bool may_stand() const;
  // The offset of the log's latest entry that set the voters (-1: none in the log).
  int64_t last_voter_change_offset() const {
    return voter_changes_.empty() ? -1 : voter_changes_.rbegin()->first;
  }
  // Leader only: every voter's progress, itself included; the observers'.
  std::vector<VoterProgress> voter_progress(int64_t now_ms) const;
  std::vector<VoterProgress> observer_progress() const;

 private:
  size_t majority() const { return voters_.size() / 2 + 1; }
  // How many of the granted votes are of current voters.
  size_t granted_by_voters() const;
  // After the log's voter changes moved: the voter set is the latest one;
  // a leader tracks the new voters' progress; a node that is no voter any
  // more stops standing.
  void use_latest_voters(int64_t now_ms);
  // Leader: appends an entry that sets `next` as the voters.
  void append_voter_change(VoterSet next, int64_t now_ms);
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
  void on_end_quorum_epoch(NodeId from, const EndQuorumEpoch& end, int64_t now_ms);
  // A follower's leader is gone (its process, or it resigned): it stops
  // waiting for the fetch timeout and asks for an election `delay_ms` from now.
  void leader_gone(int64_t delay_ms, int64_t now_ms);
  void on_fetch_request(NodeId from, const FetchRequest& fetch, int64_t now_ms);
  void on_fetch_response(NodeId from, const FetchResponse& response, int64_t now_ms);
  void on_fetch_snapshot_request(NodeId from, const FetchSnapshotRequest& fetch, int64_t now_ms);
  void on_fetch_snapshot_response(NodeId from, const FetchSnapshotResponse& response, int64_t now_ms);
  // Whether an answer from `epoch`'s `leader` is from the leader we follow
  // (else it may move us to a newer epoch); counts as hearing from it.
  bool from_our_leader(NodeId from, int32_t epoch, NodeId leader, int64_t now_ms);
  // The leader this node names in its answers: itself only while it acts as one.
  NodeId acting_leader() const;
  // Follower: whether the leader's snapshot is news to its log (the log ends
  // before it, or parts from it below its end: then all of the log from
  // there is uncommitted). The snapshot fetched is whole; the log restarts
  // after it.
  bool snapshot_replaces_log(SnapshotId snapshot) const;
  void install_snapshot(SnapshotId snapshot, VoterSet voters);
  // Follower: fetches from where its durable log ends, unless a write is
  // still being synced (or the next chunk of the snapshot it fetches).
  void fetch_if_idle(int64_t now_ms);
  // Leader: what it knows of one replica that fetches from it (a voter, or an
  // observer). A caught-up fetch that already knows the high watermark is
  // held (long poll) until the log grows, the high watermark moves or
  // fetch_max_wait_ms passes; one per replica.
  struct ParkedFetch {
    FetchRequest fetch;
    int64_t deadline_ms;
  };
  struct Replica {
    NodeId id = kNoNode;
    int64_t end_offset = 0;          // where its durable log ends, as its last fetch said
    int64_t last_fetch_ms = -1;
    int64_t last_caught_up_ms = -1;  // when it last fetched from the log end
    int64_t hw_told = -1;            // the high watermark it last got from us
    std::optional<ParkedFetch> parked;
  };
  // Leader: the replica `id` is (an observer is tracked from its first
  // fetch on); nullptr past kMaxObservers.
  Replica* replica(NodeId id);
  // Leader: the answer to a replica's fetch (entries from its offset, or
  // where its log diverges).
  FetchResponse answer_fetch(Replica& replica, const FetchRequest& fetch);
  // Observer: a fetch to the next voter in turn, to learn who leads.
  void ask_a_voter(int64_t now_ms);
  // Leaving leadership: no fetch is held, no observer tracked.
  void drop_replica_state();
  // Leader: answers the parked fetches (all of them, or those past their deadline).
  void answer_parked_fetches(bool all, int64_t now_ms);
  // Leader: the offsets a majority holds durably, committed once of this epoch.
  void advance_high_watermark();
  // Appends to the in-memory log and hands the write to the driver;
  // `changes` are those of the entries that set the voters.
  void append(int64_t offset, std::vector<int32_t> entries, WriteSource source, VoterChanges changes = {});
  void truncate(int64_t offset);
  // The leader's answer to a fetch at `offset` (at or past the log start)
  // after `last_epoch`: the divergence, if any (the end of the largest epoch
  // <= last_epoch). One whose epoch is above last_epoch is where the log
  // starts: the logs may part below it, which no entry here tells.
  std::optional<DivergingEpoch> divergence(int64_t offset, int32_t last_epoch) const;
  // Whether a fetch at `offset` after `last_epoch` is answered with the snapshot.
  bool needs_snapshot(int64_t offset, int32_t last_epoch) const;
  int64_t log_end_offset() const { return log_start_.end_offset + static_cast<int64_t>(log_.size()); }
  // How many entries of the log are of epochs <= `epoch` (a prefix) end: the offset after them.
  int64_t end_of_epochs_upto(int32_t epoch) const;

  NodeId self_;
  VoterSet start_voters_;        // as of the log start
  VoterChanges voter_changes_;   // the log's entries that set the voters
  VoterSet voters_;              // the latest of those (start_voters_ when none)
  bool observer_;
  size_t next_voter_asked_ = 0;  // observer: whom ask_a_voter() asks next
  RaftConfig config_;
  std::mt19937_64 random_;
  QuorumState state_;
  SnapshotId log_start_;            // the log holds the entries from its end offset on
  SnapshotId latest_snapshot_;      // the newest the driver holds ({0, 0}: none)
  std::vector<int32_t> log_;        // epoch of each entry from the log start, written (maybe not yet durable)
  int64_t flushed_end_ = 0;         // durable up to here
  int64_t high_watermark_ = 0;
  int64_t epoch_start_offset_ = 0;  // leader: see epoch_start_offset()
  Role role_ = Role::kUnattached;
  Actions pending_;

  // Unattached, follower, prospective, candidate: when to (re)start an election.
  int64_t election_deadline_ms_ = 0;
  // Follower: when it last heard from its leader; when it fetches next.
  int64_t leader_heard_ms_ = -1;
  bool leader_lost_ = false;  // peer_lost(): its connection broke as a dead process's does
  int64_t next_fetch_ms_ = 0;
  // Follower: the snapshot the leader told it to fetch, and how much of it it holds.
  struct SnapshotFetch {
    SnapshotId snapshot;
    int64_t position = 0;
  };
  std::optional<SnapshotFetch> snapshot_fetch_;
  bool installing_ = false;  // the fetched snapshot is whole: snapshot_installed() comes next
  // Prospective / candidate: the voters that granted.
  std::set<NodeId> granted_;
  // Leader: each voter (in voters_' order) and observer that fetches from
  // it; when to resend BeginQuorumEpoch. (Kept only while leading.)
  std::vector<Replica> voter_state_;
  std::map<NodeId, Replica> observers_;  // at most kMaxObservers
  int64_t next_begin_ms_ = 0;
};

}  // namespace freshet::raft
