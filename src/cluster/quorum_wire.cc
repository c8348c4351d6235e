#include "cluster/quorum_wire.h"

#include "cluster/internal_topics.h"
#include "cluster/metadata_quorum.h"

namespace freshet::cluster {

using protocol::ErrorCode;
using protocol::code;

namespace {
constexpr int32_t kMetadataPartition = 0;

// The metadata partition's entry of a request's topics, if there is one.
template <typename Partition, typename Topics>
const Partition* metadata_partition(const Topics& topics) {
  for (const auto& topic : topics) {
    if (topic.topic_name != kMetadataTopicName) continue;
    for (const auto& partition : topic.partitions)
      if (partition.partition_index == kMetadataPartition) return &partition;
  }
  return nullptr;
}

// A message whose one topic has the metadata partition alone, filled by `fill`.
template <typename Message, typename Fill>
Message single_partition(Fill fill) {
  Message message;
  typename Message::TopicData topic;
  topic.topic_name = std::string(kMetadataTopicName);
  typename Message::PartitionData partition;
  partition.partition_index = kMetadataPartition;
  fill(partition);
  topic.partitions.push_back(partition);
  message.topics.push_back(std::move(topic));
  return message;
}

// Errors whose answer still names the responder's epoch and leader.
bool names_epoch(int16_t error) {
  return error == code(ErrorCode::None) || error == code(ErrorCode::NotLeaderOrFollower) ||
         error == code(ErrorCode::FencedLeaderEpoch);
}
}  // namespace

protocol::VoteRequest wire_vote_request(const raft::VoteRequest& request, raft::NodeId to, const std::string& cluster_id) {
  auto wire = single_partition<protocol::VoteRequest>([&](auto& p) {
    p.candidate_epoch = request.candidate_epoch;
    p.candidate_id = request.candidate;
    p.last_offset_epoch = request.candidate_log.last_epoch;
    p.last_offset = request.candidate_log.end_offset;
    p.pre_vote = request.pre_vote;
  });
  wire.cluster_id = cluster_id;
  wire.voter_id = to;
  return wire;
}

protocol::BeginQuorumEpochRequest wire_begin_quorum_epoch(const raft::BeginQuorumEpoch& request, raft::NodeId to,
                                                          const std::string& cluster_id) {
  auto wire = single_partition<protocol::BeginQuorumEpochRequest>([&](auto& p) {
    p.leader_id = request.leader;
    p.leader_epoch = request.epoch;
  });
  wire.cluster_id = cluster_id;
  wire.voter_id = to;
  return wire;
}

protocol::EndQuorumEpochRequest wire_end_quorum_epoch(const raft::EndQuorumEpoch& request, const std::string& cluster_id) {
  auto wire = single_partition<protocol::EndQuorumEpochRequest>([&](auto& p) {
    p.leader_id = request.leader;
    p.leader_epoch = request.epoch;
    for (raft::NodeId id : request.preferred_successors) {
      protocol::EndQuorumEpochRequest::ReplicaInfo candidate;
      candidate.candidate_id = id;
      p.preferred_candidates.push_back(candidate);
    }
  });
  wire.cluster_id = cluster_id;
  return wire;
}

protocol::FetchRequest wire_fetch_request(const raft::FetchRequest& request, const std::string& cluster_id) {
  protocol::FetchRequest wire;
  wire.cluster_id = cluster_id;
  wire.replica_state.replica_id = request.replica;
  wire.max_wait_ms = static_cast<int32_t>(request.max_wait_ms);
  wire.min_bytes = 0;
  wire.max_bytes = kMaxFetchAnswerBytes;
  protocol::FetchRequest::FetchTopic topic;
  topic.topic = std::string(kMetadataTopicName);
  topic.topic_id = kMetadataTopicId;
  protocol::FetchRequest::FetchPartition partition;
  partition.partition = kMetadataPartition;
  partition.current_leader_epoch = request.epoch;
  partition.fetch_offset = request.fetch_offset;
  partition.last_fetched_epoch = request.last_fetched_epoch;
  partition.partition_max_bytes = kMaxFetchAnswerBytes;
  topic.partitions.push_back(partition);
  wire.topics.push_back(std::move(topic));
  return wire;
}

std::optional<raft::VoteRequest> raft_vote_request(const protocol::VoteRequest& request) {
  const auto* p = metadata_partition<protocol::VoteRequest::PartitionData>(request.topics);
  if (!p) return std::nullopt;
  return raft::VoteRequest{p->candidate_epoch, p->candidate_id, {p->last_offset, p->last_offset_epoch}, p->pre_vote};
}

std::optional<raft::BeginQuorumEpoch> raft_begin_quorum_epoch(const protocol::BeginQuorumEpochRequest& request) {
  const auto* p = metadata_partition<protocol::BeginQuorumEpochRequest::PartitionData>(request.topics);
  if (!p) return std::nullopt;
  return raft::BeginQuorumEpoch{p->leader_epoch, p->leader_id};
}

std::optional<raft::EndQuorumEpoch> raft_end_quorum_epoch(const protocol::EndQuorumEpochRequest& request) {
  const auto* p = metadata_partition<protocol::EndQuorumEpochRequest::PartitionData>(request.topics);
  if (!p) return std::nullopt;
  raft::EndQuorumEpoch end{p->leader_epoch, p->leader_id, {}};
  for (const auto& candidate : p->preferred_candidates) end.preferred_successors.push_back(candidate.candidate_id);
  for (int32_t id : p->preferred_successors) end.preferred_successors.push_back(id);  // v0
  return end;
}

bool is_quorum_fetch(const protocol::FetchRequest& request) {
  const int32_t replica = std::max(request.replica_id, request.replica_state.replica_id);
  if (replica < 0 || request.topics.size() != 1) return false;
  const auto& topic = request.topics.front();
  return topic.topic_id == kMetadataTopicId || topic.topic == kMetadataTopicName;
}

std::optional<raft::FetchRequest> raft_fetch_request(const protocol::FetchRequest& request) {
  if (!is_quorum_fetch(request)) return std::nullopt;
  for (const auto& p : request.topics.front().partitions) {
    if (p.partition != kMetadataPartition) continue;
    raft::FetchRequest fetch{p.current_leader_epoch, std::max(request.replica_id, request.replica_state.replica_id),
                             p.fetch_offset, std::max(p.last_fetched_epoch, 0), std::max(request.max_wait_ms, 0)};
    return fetch;
  }
  return std::nullopt;
}

protocol::VoteResponse wire_vote_response(const raft::VoteResponse& response) {
  return single_partition<protocol::VoteResponse>([&](auto& p) {
    p.leader_id = response.leader;
    p.leader_epoch = response.epoch;
    p.vote_granted = response.granted;
  });
}

protocol::BeginQuorumEpochResponse wire_begin_quorum_epoch_response(const raft::BeginQuorumEpochResponse& response) {
  return single_partition<protocol::BeginQuorumEpochResponse>([&](auto& p) {
    p.leader_id = response.leader;
    p.leader_epoch = response.epoch;
  });
}

protocol::EndQuorumEpochResponse wire_end_quorum_epoch_response(const raft::EndQuorumEpochResponse& response) {
  return single_partition<protocol::EndQuorumEpochResponse>([&](auto& p) {
    p.leader_id = response.leader;
    p.leader_epoch = response.epoch;
  });
}

protocol::FetchResponse wire_fetch_response(const raft::FetchResponse& response, raft::NodeId self,
                                            const protocol::Records& records,
                                            const std::optional<QuorumVoter>& leader_endpoint) {
  protocol::FetchResponse wire;
  if (leader_endpoint) wire.node_endpoints.push_back({leader_endpoint->id, leader_endpoint->host, leader_endpoint->port, {}});
  protocol::FetchResponse::FetchableTopicResponse topic;
  topic.topic = std::string(kMetadataTopicName);
  topic.topic_id = kMetadataTopicId;
  protocol::FetchResponse::PartitionData partition;
  partition.partition_index = kMetadataPartition;
  partition.current_leader.leader_id = response.leader;
  partition.current_leader.leader_epoch = response.epoch;
  if (response.leader != self) {
    partition.error_code = code(ErrorCode::NotLeaderOrFollower);
  } else {
    partition.high_watermark = response.high_watermark;
    if (response.diverging) {
      partition.diverging_epoch.epoch = response.diverging->epoch;
      partition.diverging_epoch.end_offset = response.diverging->end_offset;
    }
    if (response.snapshot) {
      partition.snapshot_id.end_offset = response.snapshot->end_offset;
      partition.snapshot_id.epoch = response.snapshot->epoch;
    }
    partition.records = records;
  }
  topic.partitions.push_back(std::move(partition));
  wire.responses.push_back(std::move(topic));
  return wire;
}

protocol::FetchSnapshotResponse wire_fetch_snapshot_response(const raft::FetchSnapshotResponse& response,
                                                             raft::NodeId self, const protocol::Records& chunk) {
  protocol::FetchSnapshotResponse wire;
  protocol::FetchSnapshotResponse::TopicSnapshot topic;
  topic.name = std::string(kMetadataTopicName);
  protocol::FetchSnapshotResponse::PartitionSnapshot partition;
  partition.index = kMetadataPartition;
  partition.current_leader.leader_id = response.leader;
  partition.current_leader.leader_epoch = response.epoch;
  if (response.leader != self) {
    partition.error_code = code(ErrorCode::NotLeaderOrFollower);
  } else if (!response.snapshot) {
    partition.error_code = code(ErrorCode::SnapshotNotFound);
  } else {
    partition.snapshot_id.end_offset = response.snapshot->end_offset;
    partition.snapshot_id.epoch = response.snapshot->epoch;
    partition.size = response.total_bytes;
    partition.position = response.position;
    partition.unaligned_records = chunk;
  }
  topic.partitions.push_back(std::move(partition));
  wire.topics.push_back(std::move(topic));
  return wire;
}

protocol::VoteResponse vote_error(ErrorCode error) {
  protocol::VoteResponse response;
  response.error_code = code(error);
  return response;
}

protocol::BeginQuorumEpochResponse begin_quorum_epoch_error(ErrorCode error) {
  protocol::BeginQuorumEpochResponse response;
  response.error_code = code(error);
  return response;
}

protocol::EndQuorumEpochResponse end_quorum_epoch_error(ErrorCode error) {
  protocol::EndQuorumEpochResponse response;
  response.error_code = code(error);
  return response;
}

protocol::FetchResponse quorum_fetch_error(ErrorCode error) {
  protocol::FetchResponse response;
  response.error_code = code(error);
  return response;
}

protocol::FetchSnapshotResponse fetch_snapshot_error(ErrorCode error) {
  protocol::FetchSnapshotResponse response;
  response.error_code = code(error);
  return response;
}

std::optional<raft::VoteResponse> raft_vote_response(const protocol::VoteResponse& response, const raft::VoteRequest& asked) {
  if (response.error_code != code(ErrorCode::None)) return std::nullopt;
  const auto* p = metadata_partition<protocol::VoteResponse::PartitionData>(response.topics);
  if (!p || p->error_code != code(ErrorCode::None)) return std::nullopt;
  return raft::VoteResponse{p->leader_epoch, p->leader_id, p->vote_granted, asked.pre_vote, asked.candidate_epoch};
}

std::optional<raft::BeginQuorumEpochResponse> raft_begin_quorum_epoch_response(
    const protocol::BeginQuorumEpochResponse& response) {
  if (response.error_code != code(ErrorCode::None)) return std::nullopt;
  const auto* p = metadata_partition<protocol::BeginQuorumEpochResponse::PartitionData>(response.topics);
  if (!p || p->error_code != code(ErrorCode::None)) return std::nullopt;
  return raft::BeginQuorumEpochResponse{p->leader_epoch, p->leader_id};
}

std::optional<raft::EndQuorumEpochResponse> raft_end_quorum_epoch_response(const protocol::EndQuorumEpochResponse& response) {
  if (response.error_code != code(ErrorCode::None)) return std::nullopt;
  const auto* p = metadata_partition<protocol::EndQuorumEpochResponse::PartitionData>(response.topics);
  if (!p || p->error_code != code(ErrorCode::None)) return std::nullopt;
  return raft::EndQuorumEpochResponse{p->leader_epoch, p->leader_id};
}

std::optional<QuorumFetchAnswer> raft_fetch_response(const protocol::FetchResponse& response, const raft::FetchRequest& asked) {
  if (response.error_code != code(ErrorCode::None) || response.responses.size() != 1) return std::nullopt;
  const auto& topic = response.responses.front();
  if (topic.partitions.size() != 1 || topic.partitions.front().partition_index != kMetadataPartition) return std::nullopt;
  const auto& p = topic.partitions.front();
  if (!names_epoch(p.error_code) || p.current_leader.leader_epoch < 0) return std::nullopt;
  QuorumFetchAnswer answer;
  auto& message = answer.message.emplace<raft::FetchResponse>();
  message.epoch = p.current_leader.leader_epoch;
  message.leader = p.current_leader.leader_id;
  for (const auto& node : response.node_endpoints)
    if (node.node_id == message.leader && node.port > 0 && node.port <= 65535 && !node.host.empty())
      answer.leader_endpoint = QuorumVoter{node.node_id, node.host, static_cast<uint16_t>(node.port)};
  message.base_offset = asked.fetch_offset;
  message.base_last_epoch = asked.last_fetched_epoch;
  if (p.error_code != code(ErrorCode::None)) return answer;
  message.high_watermark = p.high_watermark;
  if (p.snapshot_id.end_offset > 0 && p.snapshot_id.epoch >= 0) {
    message.snapshot = raft::SnapshotId{p.snapshot_id.end_offset, p.snapshot_id.epoch};
    return answer;
  }
  if (p.diverging_epoch.epoch >= 0) {
    message.diverging = raft::DivergingEpoch{p.diverging_epoch.epoch, p.diverging_epoch.end_offset};
    return answer;
  }
  if (p.records && !p.records->bytes.empty()) {
    auto entries = fetched_entries(p.records->bytes, asked.fetch_offset);
    if (!entries) return std::nullopt;  // malformed: as if lost
    message.entries = std::move(*entries);
    answer.records = *p.records;
  }
  return answer;
}

namespace {
// The metadata partition of a FetchSnapshot request's or response's topics
// (whose fields are named unlike the other quorum APIs'), when it is alone.
template <typename Partition, typename Topics, typename Index>
const Partition* only_metadata_snapshot_partition(const Topics& topics, Index index) {
  if (topics.size() != 1 || topics[0].name != kMetadataTopicName || topics[0].partitions.size() != 1) return nullptr;
  const Partition& partition = topics[0].partitions[0];
  return index(partition) == kMetadataPartition ? &partition : nullptr;
}
}  // namespace

protocol::FetchSnapshotRequest wire_fetch_snapshot_request(const raft::FetchSnapshotRequest& request,
                                                           const std::string& cluster_id) {
  protocol::FetchSnapshotRequest wire;
  wire.cluster_id = cluster_id;
  wire.replica_id = request.replica;
  wire.max_bytes = kMaxFetchAnswerBytes;
  protocol::FetchSnapshotRequest::TopicSnapshot topic;
  topic.name = std::string(kMetadataTopicName);
  protocol::FetchSnapshotRequest::PartitionSnapshot partition;
  partition.partition = kMetadataPartition;
  partition.current_leader_epoch = request.epoch;
  partition.snapshot_id.end_offset = request.snapshot.end_offset;
  partition.snapshot_id.epoch = request.snapshot.epoch;
  partition.position = request.position;
  topic.partitions.push_back(partition);
  wire.topics.push_back(std::move(topic));
  return wire;
}

std::optional<raft::FetchSnapshotRequest> raft_fetch_snapshot_request(const protocol::FetchSnapshotRequest& request) {
  const auto* p = only_metadata_snapshot_partition<protocol::FetchSnapshotRequest::PartitionSnapshot>(
      request.topics, [](const auto& partition) { return partition.partition; });
  if (!p || p->position < 0) return std::nullopt;
  return raft::FetchSnapshotRequest{p->current_leader_epoch, request.replica_id,
                                    raft::SnapshotId{p->snapshot_id.end_offset, p->snapshot_id.epoch}, p->position};
}

std::optional<QuorumFetchAnswer> raft_fetch_snapshot_response(const protocol::FetchSnapshotResponse& response) {
  if (response.error_code != code(ErrorCode::None)) return std::nullopt;
  const auto* p = only_metadata_snapshot_partition<protocol::FetchSnapshotResponse::PartitionSnapshot>(
      response.topics, [](const auto& partition) { return partition.index; });
  const bool not_found = p && p->error_code == code(ErrorCode::SnapshotNotFound);
  if (!p || !(names_epoch(p->error_code) || not_found) || p->current_leader.leader_epoch < 0) return std::nullopt;
  QuorumFetchAnswer answer;
  auto& message = answer.message.emplace<raft::FetchSnapshotResponse>();
  message.epoch = p->current_leader.leader_epoch;
  message.leader = p->current_leader.leader_id;
  if (p->error_code != code(ErrorCode::None)) return answer;
  if (!p->unaligned_records || p->unaligned_records->bytes.empty()) return std::nullopt;
  message.snapshot = raft::SnapshotId{p->snapshot_id.end_offset, p->snapshot_id.epoch};
  message.position = p->position;
  message.chunk_bytes = static_cast<int64_t>(p->unaligned_records->bytes.size());
  message.total_bytes = p->size;
  answer.records = *p->unaligned_records;
  return answer;
}

}  // namespace freshet::cluster
