// The messages KRaft's voters exchange, reduced to what the Raft core reads
// and writes (the wire codecs are protocol/'s Vote, BeginQuorumEpoch,
// EndQuorumEpoch and Fetch; the driver translates). Epochs and offsets are
// Kafka's: a leader epoch, and log offsets.
#pragma once

#include <cstdint>
#include <variant>

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

// The voter's epoch and leader after handling it: a leader that learns of a
// higher epoch this way steps down (a voter stuck in an epoch it could not
// win, whose pre-votes are refused while the leader lives, is how it learns).
struct BeginQuorumEpochResponse {
  int32_t epoch;
  NodeId leader;
};

// Fetch: a follower's pull, which is also its heartbeat; the leader answers
// with its epoch (a stale fetcher learns of the new leader).
struct FetchRequest {
  int32_t epoch;
  NodeId replica;
};

struct FetchResponse {
  int32_t epoch;
  NodeId leader;
};

using Message =
    std::variant<VoteRequest, VoteResponse, BeginQuorumEpoch, BeginQuorumEpochResponse, FetchRequest, FetchResponse>;

}  // namespace freshet::raft
