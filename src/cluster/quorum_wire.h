// The metadata quorum's messages in Kafka's wire forms, and back: KRaft's
// Vote (v2, with KIP-996's pre-vote), BeginQuorumEpoch (v1), EndQuorumEpoch (v1), Fetch (v17)
// and FetchSnapshot (v1) on `__cluster_metadata-0`. Requests carry the cluster id; a receiver
// refuses another cluster's (INCONSISTENT_CLUSTER_ID). An answer that is an
// error (another cluster, a request the receiver's core did not answer) is
// never handed to the requester's core: to it, that message was lost.
#pragma once

#include <optional>
#include <string>

#include "cluster/broker_config.h"
#include "protocol/errors.h"
#include "protocol/messages.h"
#include "raft/messages.h"

namespace freshet::cluster {

// Kafka's Uuid.METADATA_TOPIC_ID.
inline constexpr protocol::Uuid kMetadataTopicId{0, 1};

inline constexpr int16_t kVoteVersion = 2;
inline constexpr int16_t kBeginQuorumEpochVersion = 1;
inline constexpr int16_t kEndQuorumEpochVersion = 1;
inline constexpr int16_t kQuorumFetchVersion = 17;
inline constexpr int16_t kFetchSnapshotVersion = 1;

// Requests, as the requester sends them to voter `to`.
protocol::VoteRequest wire_vote_request(const raft::VoteRequest& request, raft::NodeId to, const std::string& cluster_id);
protocol::BeginQuorumEpochRequest wire_begin_quorum_epoch(const raft::BeginQuorumEpoch& request, raft::NodeId to,
                                                          const std::string& cluster_id);
protocol::EndQuorumEpochRequest wire_end_quorum_epoch(const raft::EndQuorumEpoch& request, const std::string& cluster_id);
protocol::FetchRequest wire_fetch_request(const raft::FetchRequest& request, const std::string& cluster_id);
protocol::FetchSnapshotRequest wire_fetch_snapshot_request(const raft::FetchSnapshotRequest& request,
                                                           const std::string& cluster_id);

// Requests as the receiver's core sees them; nullopt when the request is not
// for the metadata partition. The sender is the request's candidate, leader
// or replica.
std::optional<raft::VoteRequest> raft_vote_request(const protocol::VoteRequest& request);
std::optional<raft::BeginQuorumEpoch> raft_begin_quorum_epoch(const protocol::BeginQuorumEpochRequest& request);
std::optional<raft::EndQuorumEpoch> raft_end_quorum_epoch(const protocol::EndQuorumEpochRequest& request);
std::optional<raft::FetchRequest> raft_fetch_request(const protocol::FetchRequest& request);
std::optional<raft::FetchSnapshotRequest> raft_fetch_snapshot_request(const protocol::FetchSnapshotRequest& request);
// Whether a Fetch is a quorum replica's pull of the metadata log (rather
// than a client's or a follower broker's fetch of a topic).
bool is_quorum_fetch(const protocol::FetchRequest& request);

// Answers, as the receiver sends them: its core's message, or `error` for a
// request it could not hand to its core.
protocol::VoteResponse wire_vote_response(const raft::VoteResponse& response);
protocol::BeginQuorumEpochResponse wire_begin_quorum_epoch_response(const raft::BeginQuorumEpochResponse& response);
protocol::EndQuorumEpochResponse wire_end_quorum_epoch_response(const raft::EndQuorumEpochResponse& response);
// `self` is the answering node: an answer is the leader's (error NONE) only
// when it names itself as the leader. `leader_endpoint`, when known, is
// where the leader it names listens (NodeEndpoints).
protocol::FetchResponse wire_fetch_response(const raft::FetchResponse& response, raft::NodeId self,
                                            const protocol::Records& records,
                                            const std::optional<QuorumVoter>& leader_endpoint = std::nullopt);
// A chunk of the leader's snapshot (error NONE), or SNAPSHOT_NOT_FOUND from
// the leader, or NOT_LEADER_OR_FOLLOWER from another node.
protocol::FetchSnapshotResponse wire_fetch_snapshot_response(const raft::FetchSnapshotResponse& response,
                                                             raft::NodeId self, const protocol::Records& chunk);
protocol::VoteResponse vote_error(protocol::ErrorCode error);
protocol::BeginQuorumEpochResponse begin_quorum_epoch_error(protocol::ErrorCode error);
protocol::EndQuorumEpochResponse end_quorum_epoch_error(protocol::ErrorCode error);
protocol::FetchResponse quorum_fetch_error(protocol::ErrorCode error);
protocol::FetchSnapshotResponse fetch_snapshot_error(protocol::ErrorCode error);

// Answers as the requester's core sees them, given what it asked; nullopt
// for error answers. A fetch answer's entries are those its records hold.
std::optional<raft::VoteResponse> raft_vote_response(const protocol::VoteResponse& response, const raft::VoteRequest& asked);
std::optional<raft::BeginQuorumEpochResponse> raft_begin_quorum_epoch_response(
    const protocol::BeginQuorumEpochResponse& response);
std::optional<raft::EndQuorumEpochResponse> raft_end_quorum_epoch_response(const protocol::EndQuorumEpochResponse& response);
struct QuorumFetchAnswer {
  raft::Message message;  // a FetchResponse or a FetchSnapshotResponse
  protocol::Records records;
  std::optional<QuorumVoter> leader_endpoint;  // a Fetch answer's NodeEndpoints entry for the leader it names
};
std::optional<QuorumFetchAnswer> raft_fetch_response(const protocol::FetchResponse& response, const raft::FetchRequest& asked);
// A chunk's size is that of the bytes it carries.
std::optional<QuorumFetchAnswer> raft_fetch_snapshot_response(const protocol::FetchSnapshotResponse& response);

}  // namespace freshet::cluster
