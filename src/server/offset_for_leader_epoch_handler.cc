#include "protocol/errors.h"
#include "server/handlers.h"
#include "server/partition_query.h"

namespace freshet::server {

namespace {
using protocol::ErrorCode;
using protocol::OffsetForLeaderEpochRequest;
using protocol::OffsetForLeaderEpochResponse;
using EpochEndOffset = OffsetForLeaderEpochResponse::EpochEndOffset;

EpochEndOffset end_offset(Partition* partition, const OffsetForLeaderEpochRequest::OffsetForLeaderPartition& asked) {
  EpochEndOffset out;
  out.partition = asked.partition;
  if (!partition) {
    out.error_code = protocol::code(ErrorCode::UnknownTopicOrPartition);
    return out;
  }
  if (auto error = partition->check_leader_epoch(asked.current_leader_epoch); error != ErrorCode::None) {
    out.error_code = protocol::code(error);
    return out;
  }
  auto [epoch, offset] = partition->log().end_offset_for_epoch(asked.leader_epoch);
  out.leader_epoch = epoch;
  out.end_offset = offset;
  return out;
}
}  // namespace

void handle_offset_for_leader_epoch(const RequestPtr& request, protocol::Reader& body) {
  auto req = std::make_shared<OffsetForLeaderEpochRequest>();
  req->decode(body, request->version());
  auto image = request->broker.image();
  auto resp = std::make_shared<OffsetForLeaderEpochResponse>();
  for (const auto& asked : req->topics) {
    auto& topic_resp = resp->topics.emplace_back();
    topic_resp.topic = asked.topic;
    for (const auto& partition : asked.partitions) {
      auto& part = topic_resp.partitions.emplace_back();
      part.partition = partition.partition;
      part.error_code = protocol::code(ErrorCode::UnknownTopicOrPartition);
    }
  }
  LocatedPartitions located = locate_partitions(
      *image, request->broker.node_id(), req->topics, [](const auto& topic) { return topic.topic; },
      [](const auto& partition) { return partition.partition; });
  for (auto [t, p] : located.elsewhere)
    resp->topics[t].partitions[p].error_code = protocol::code(ErrorCode::NotLeaderOrFollower);
  query_partitions<EpochEndOffset>(
      request->broker, *image, std::move(located.refs),
      [req, slots = located.slots](size_t i, Partition* partition) {
        return end_offset(partition, req->topics[slots[i].first].partitions[slots[i].second]);
      },
      [request, resp, slots = located.slots](std::vector<EpochEndOffset> answers) {
        for (size_t i = 0; i < answers.size(); ++i) resp->topics[slots[i].first].partitions[slots[i].second] = answers[i];
        request->reply(*resp);
      });
}

}  // namespace freshet::server
