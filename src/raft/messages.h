// The messages KRaft's voters exchange, reduced to what the Raft core reads
// and writes (the wire codecs are protocol/'s Vote, BeginQuorumEpoch,
// EndQuorumEpoch, Fetch and FetchSnapshot; the driver translates). Epochs and offsets are
// Kafka's: a leader epoch, and log offsets.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <variant>
#include <vector>

namespace freshet::raft {

using NodeId = int32_t;
inline constexpr NodeId kNoNode = -1;

// Where a replica's log ends: the offset after its last entry, and that
// entry's epoch (0 for an empty log).
struct LogEnd {
  int64_t end_offset = 0;
  int32_t last_epoch = 0;
  friend auto operator<=>(const LogEnd& a, const LogEnd& b) {
    if (a.last_epoch != b.last_epoch) return a.last_epoch <=> b.last_epoch;
    return a.end_offset <=> b.end_offset;
  }
  friend bool operator==(const LogEnd&, const LogEnd&) = default;
};

// The voters of the quorum from some entry of the log on (KIP-853's
// VotersRecord): their ids, ascending. A log's latest voter set is the one
// its replica uses, committed or not, as in Raft's single-server changes.
using VoterSet = std::vector<NodeId>;
// The entries of a log that set the voters, by offset.
using VoterChanges = std::map<int64_t, VoterSet>;

// A snapshot of a log's committed prefix: what the entries below
// `end_offset` made, the last of them of `epoch` (Kafka's OffsetAndEpoch).
// {0, 0} is the empty prefix (no snapshot).
struct SnapshotId {
  int64_t end_offset = 0;
  int32_t epoch = 0;
  friend bool operator==(const SnapshotId&, const SnapshotId&) = default;
};

// Vote: a candidate (or, with pre_vote, a prospective candidate, KIP-996)
// asks for the vote of `candidate_epoch`. A pre-vote changes no state.
struct VoteRequest {
  int32_t candidate_epoch;
  NodeId candidate;
  LogEnd candidate_log;
  bool pre_vote = false;
};

struct VoteResponse {
  int32_t epoch;       // the voter's epoch after handling the request
  NodeId leader;       // the leader the voter knows at that epoch, kNoNode if none
  bool granted;
  bool pre_vote;
  int32_t request_epoch;  // the candidate epoch this answers
};

// BeginQuorumEpoch: the new leader tells every voter (again, until the voter
// fetches from it).
struct BeginQuorumEpoch {
  int32_t epoch;
  NodeId leader;
};

// EndQuorumEpoch: a leader that resigns (a controlled shutdown, or its own
// removal from the voters committed) tells the voters, so that they elect
// another at once rather than after the fetch timeout; the preferred
// successors (the voters most caught up first) stand first.
struct EndQuorumEpoch {
  int32_t epoch;
  NodeId leader;
  std::vector<NodeId> preferred_successors;
};

struct EndQuorumEpochResponse {
  int32_t epoch;
  NodeId leader;
};

// The voter's epoch and leader after handling it: a leader that learns of a
// higher epoch this way steps down (a voter stuck in an epoch it could not
// win, whose pre-votes are refused while the leader lives, is how it learns).
struct BeginQuorumEpochResponse {
  int32_t epoch;
  NodeId leader;
};

// Fetch: a follower's pull, which is also its heartbeat. `fetch_offset` is
// where its durable log ends and `last_fetched_epoch` the epoch of the entry
// before it, which the leader checks against its own log.
// A caught-up follower's fetch waits at the leader for up to `max_wait_ms`
// for new entries (a long poll), so that commits reach it at once.
struct FetchRequest {
  int32_t epoch;
  NodeId replica;
  int64_t fetch_offset = 0;
  int32_t last_fetched_epoch = 0;
  int64_t max_wait_ms = 0;
};

// Where a follower's log diverges from the leader's: the largest epoch of the
// leader's log not above the follower's last fetched epoch, and where it ends
// there; the follower truncates to that end and fetches again.
struct DivergingEpoch {
  int32_t epoch;
  int64_t end_offset;
};

// The leader's answer (any other node's names its epoch and leader, so a
// stale fetcher learns of the new one): either the divergence, or the
// snapshot to fetch instead (the fetch offset is below the leader's log
// start, or the logs may part below it), or the log's entries from the fetch
// offset (each entry is its epoch), and the high watermark.
struct FetchResponse {
  int32_t epoch;
  NodeId leader;
  int64_t high_watermark = 0;
  std::optional<DivergingEpoch> diverging;
  // The fetch answered (its offset and last fetched epoch), so that a late
  // or duplicated answer is told from the one for where the log is now.
  int64_t base_offset = 0;
  int32_t base_last_epoch = 0;
  std::vector<int32_t> entries;
  VoterChanges voter_changes;  // those of `entries` that set the voters
  std::optional<SnapshotId> snapshot;
};

// FetchSnapshot: a follower told to fetch snapshot `snapshot` pulls its
// bytes from `position` on, chunk by chunk (the driver carries the bytes).
struct FetchSnapshotRequest {
  int32_t epoch;
  NodeId replica;
  SnapshotId snapshot;
  int64_t position = 0;
};

// The leader's answer: a chunk of `snapshot` at `position`, of `chunk_bytes`
// out of `total_bytes`; no snapshot when the answering node does not lead
// this epoch or no longer has that snapshot (the follower then fetches
// again, and learns of the newer one).
struct FetchSnapshotResponse {
  int32_t epoch;
  NodeId leader;
  std::optional<SnapshotId> snapshot;
  int64_t position = 0;
  int64_t chunk_bytes = 0;
  int64_t total_bytes = 0;
};

using Message = std::variant<VoteRequest, VoteResponse, BeginQuorumEpoch, BeginQuorumEpochResponse, EndQuorumEpoch,
                             EndQuorumEpochResponse, FetchRequest, FetchResponse, FetchSnapshotRequest,
                             FetchSnapshotResponse>;

}  // namespace freshet::raft
