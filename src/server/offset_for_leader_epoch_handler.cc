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
  std::vector<PartitionRef> refs;
  std::vector<std::pair<size_t, size_t>> slots;
  for (size_t t = 0; t < req->topics.size(); ++t) {
    const auto& asked = req->topics[t];
    OffsetForLeaderEpochResponse::OffsetForLeaderTopicResult topic_resp;
    topic_resp.topic = asked.topic;
    const cluster::TopicInfo* topic = image->topic(asked.topic);
    for (size_t p = 0; p < asked.partitions.size(); ++p) {
      EpochEndOffset part;
      part.partition = asked.partitions[p].partition;
      if (!topic || part.partition < 0 || static_cast<size_t>(part.partition) >= topic->partitions.size()) {
        part.error_code = protocol::code(ErrorCode::UnknownTopicOrPartition);
      } else {
        refs.push_back({topic->id, part.partition});
        slots.emplace_back(t, p);
      }
      topic_resp.partitions.push_back(std::move(part));
    }
    resp->topics.push_back(std::move(topic_resp));
  }
  query_partitions<EpochEndOffset>(
      request->broker, *image, std::move(refs),
      [req, slots](size_t i, Partition* partition) {
        return end_offset(partition, req->topics[slots[i].first].partitions[slots[i].second]);
      },
      [request, resp, slots](std::vector<EpochEndOffset> answers) {
        for (size_t i = 0; i < answers.size(); ++i) resp->topics[slots[i].first].partitions[slots[i].second] = answers[i];
        request->reply(*resp);
      });
}

}  // namespace freshet::server
