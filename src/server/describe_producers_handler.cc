#include <memory>

#include "server/handlers.h"
#include "server/partition_query.h"

namespace freshet::server {

namespace {
using protocol::DescribeProducersResponse;
using protocol::ErrorCode;
using PartitionResponse = DescribeProducersResponse::PartitionResponse;

PartitionResponse describe(Partition* partition, int32_t index) {
  PartitionResponse out;
  out.partition_index = index;
  if (!partition) {
    out.error_code = protocol::code(ErrorCode::NotLeaderOrFollower);
    return out;
  }
  for (const auto& p : partition->log().active_producers()) {
    DescribeProducersResponse::ProducerState state;
    state.producer_id = p.producer_id;
    state.producer_epoch = p.producer_epoch;
    state.last_sequence = p.last_sequence;
    state.last_timestamp = p.last_timestamp;
    state.coordinator_epoch = p.coordinator_epoch;
    state.current_txn_start_offset = p.current_txn_start_offset;
    out.active_producers.push_back(state);
  }
  return out;
}
}  // namespace

// Each partition's active producers, from its producer state (Kafka's
// ReplicaManager.activeProducerState).
void handle_describe_producers(const RequestPtr& request, protocol::Reader& body) {
  auto req = std::make_shared<protocol::DescribeProducersRequest>();
  req->decode(body, request->version());
  auto image = request->broker.image();
  auto resp = std::make_shared<DescribeProducersResponse>();
  std::vector<PartitionRef> refs;
  std::vector<std::pair<size_t, size_t>> slots;  // (topic, partition) of each ref
  for (const auto& topic : req->topics) {
    auto& topic_resp = resp->topics.emplace_back();
    topic_resp.name = topic.name;
    const cluster::TopicInfo* info = image->topic(topic.name);
    for (int32_t index : topic.partition_indexes) {
      auto& partition = topic_resp.partitions.emplace_back();
      partition.partition_index = index;
      if (!info || index < 0 || static_cast<size_t>(index) >= info->partitions.size()) {
        partition.error_code = protocol::code(ErrorCode::UnknownTopicOrPartition);
        continue;
      }
      refs.push_back({info->id, index});
      slots.emplace_back(resp->topics.size() - 1, topic_resp.partitions.size() - 1);
    }
  }
  query_partitions<PartitionResponse>(
      request->broker, *image, std::move(refs),
      [resp, slots](size_t i, Partition* partition) {
        return describe(partition, resp->topics[slots[i].first].partitions[slots[i].second].partition_index);
      },
      [request, resp, slots](std::vector<PartitionResponse> answers) {
        for (size_t i = 0; i < answers.size(); ++i)
          resp->topics[slots[i].first].partitions[slots[i].second] = std::move(answers[i]);
        request->reply(*resp);
      });
}

}  // namespace freshet::server
