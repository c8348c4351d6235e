#include "protocol/errors.h"
#include "server/handlers.h"
#include "server/partition_query.h"

namespace freshet::server {

namespace {
using protocol::ErrorCode;
using protocol::ListOffsetsRequest;
using protocol::ListOffsetsResponse;

// Special timestamps of ListOffsets (Kafka's ListOffsetsRequest constants).
constexpr int64_t kLatest = -1;
constexpr int64_t kEarliest = -2;
constexpr int64_t kMaxTimestamp = -3;
constexpr int64_t kEarliestLocal = -4;
constexpr int64_t kLatestTiered = -5;

struct OffsetAnswer {
  ErrorCode error = ErrorCode::None;
  int64_t timestamp = -1;
  int64_t offset = -1;
  int32_t leader_epoch = -1;
};

// Kafka's ReplicaManager.fetchOffsetForTimestamp: read_committed sees up to
// the last stable offset, and a record found by timestamp must lie below it.
OffsetAnswer lookup(Partition* partition, int64_t timestamp, int32_t current_leader_epoch, int8_t isolation_level) {
  OffsetAnswer answer;
  if (!partition) return {ErrorCode::UnknownTopicOrPartition};
  if (auto error = partition->check_leader_epoch(current_leader_epoch); error != ErrorCode::None) return {error};
  answer.leader_epoch = partition->leader_epoch();
  const int64_t last_fetchable = isolation_level == static_cast<int8_t>(Isolation::kReadCommitted)
                                     ? partition->last_stable_offset()
                                     : partition->high_watermark();
  auto& log = partition->log();
  auto take = [&](const std::optional<storage::TimestampOffset>& found) {
    if (!found || found->offset >= last_fetchable) return;
    answer.timestamp = found->timestamp;
    answer.offset = found->offset;
  };
  switch (timestamp) {
    case kLatest: answer.offset = last_fetchable; break;
    case kEarliest:
    case kEarliestLocal: answer.offset = partition->log_start_offset(); break;
    case kLatestTiered: break;  // no tiered storage: nothing is tiered
    case kMaxTimestamp: take(log.max_timestamp_offset()); break;
    default:
      if (timestamp < 0) return {ErrorCode::InvalidRequest};
      take(log.offset_for_timestamp(timestamp));
      break;
  }
  return answer;
}
}  // namespace

void handle_list_offsets(const RequestPtr& request, protocol::Reader& body) {
  auto req = std::make_shared<ListOffsetsRequest>();
  req->decode(body, request->version());
  auto image = request->broker.image();
  auto resp = std::make_shared<ListOffsetsResponse>();
  for (const auto& asked : req->topics) {
    auto& topic_resp = resp->topics.emplace_back();
    topic_resp.name = asked.name;
    for (const auto& partition : asked.partitions) {
      auto& part = topic_resp.partitions.emplace_back();
      part.partition_index = partition.partition_index;
      part.error_code = protocol::code(ErrorCode::UnknownTopicOrPartition);
    }
  }
  LocatedPartitions located = locate_partitions(
      *image, request->broker.node_id(), req->topics, [](const auto& topic) { return topic.name; },
      [](const auto& partition) { return partition.partition_index; });
  for (auto [t, p] : located.elsewhere)
    resp->topics[t].partitions[p].error_code = protocol::code(ErrorCode::NotLeaderOrFollower);
  query_partitions<OffsetAnswer>(
      request->broker, *image, std::move(located.refs),
      [req, slots = located.slots](size_t i, Partition* partition) {
        const auto& asked = req->topics[slots[i].first].partitions[slots[i].second];
        return lookup(partition, asked.timestamp, asked.current_leader_epoch, req->isolation_level);
      },
      [request, resp, slots = located.slots](std::vector<OffsetAnswer> answers) {
        for (size_t i = 0; i < answers.size(); ++i) {
          auto& part = resp->topics[slots[i].first].partitions[slots[i].second];
          const auto& a = answers[i];
          part.error_code = protocol::code(a.error);
          part.timestamp = a.timestamp;
          part.offset = a.offset;
          part.leader_epoch = a.leader_epoch;
          if (a.error == ErrorCode::None && a.offset >= 0) part.old_style_offsets = {a.offset};
        }
        request->reply(*resp);
      });
}

}  // namespace freshet::server
