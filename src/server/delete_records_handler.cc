// DeleteRecords (kafka-delete-records.sh, AdminClient.deleteRecords): moves
// partitions' log start offsets up, on their owner shards; each answer's
// low watermark is the new log start, checkpointed before the reply. One
// node holds every replica, so the request's timeout never runs.
#include "protocol/errors.h"
#include "server/handlers.h"
#include "server/partition_query.h"

namespace freshet::server {

namespace {
using protocol::DeleteRecordsRequest;
using protocol::DeleteRecordsResponse;
using protocol::ErrorCode;
}  // namespace

void handle_delete_records(const RequestPtr& request, protocol::Reader& body) {
  auto req = std::make_shared<DeleteRecordsRequest>();
  req->decode(body, request->version());
  auto image = request->broker.image();
  auto resp = std::make_shared<DeleteRecordsResponse>();
  for (const auto& asked : req->topics) {
    auto& topic_result = resp->topics.emplace_back();
    topic_result.name = asked.name;
    for (const auto& partition : asked.partitions) {
      auto& result = topic_result.partitions.emplace_back();
      result.partition_index = partition.partition_index;
      result.low_watermark = -1;
      result.error_code = protocol::code(ErrorCode::UnknownTopicOrPartition);
    }
  }
  LocatedPartitions located = locate_partitions(
      *image, request->broker.node_id(), req->topics, [](const auto& topic) { return topic.name; },
      [](const auto& partition) { return partition.partition_index; });
  for (auto [t, p] : located.elsewhere)
    resp->topics[t].partitions[p].error_code = protocol::code(ErrorCode::NotLeaderOrFollower);
  Broker& broker = request->broker;
  query_partitions<DeleteRecordsOutcome>(
      broker, *image, std::move(located.refs),
      [req, slots = located.slots, &broker](size_t i, Partition* partition) -> DeleteRecordsOutcome {
        if (!partition) return {ErrorCode::UnknownTopicOrPartition};
        const int64_t offset = req->topics[slots[i].first].partitions[slots[i].second].offset;
        return broker.partitions(net::ShardSet::current()).delete_records(*partition, offset);
      },
      [request, resp, slots = located.slots](std::vector<DeleteRecordsOutcome> outcomes) {
        for (size_t i = 0; i < outcomes.size(); ++i) {
          auto& result = resp->topics[slots[i].first].partitions[slots[i].second];
          result.error_code = protocol::code(outcomes[i].error);
          result.low_watermark = outcomes[i].low_watermark;
        }
        request->reply(*resp);
      });
}

}  // namespace freshet::server
