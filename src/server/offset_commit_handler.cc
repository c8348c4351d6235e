#include "server/group_calls.h"
#include "server/handlers.h"

namespace freshet::server {

namespace {
using protocol::ErrorCode;
using protocol::OffsetCommitRequest;
using protocol::OffsetCommitResponse;

// Moves the partitions the cluster does not have out of `req` (Kafka answers
// them UNKNOWN_TOPIC_OR_PARTITION without asking the coordinator).
OffsetCommitRequest take_unknown_partitions(OffsetCommitRequest& req, const cluster::MetadataImage& image) {
  OffsetCommitRequest unknown;
  for (auto& topic : req.topics) {
    const cluster::TopicInfo* info = image.topic(topic.name);
    OffsetCommitRequest::OffsetCommitRequestTopic missing;
    missing.name = topic.name;
    std::erase_if(topic.partitions, [&](auto& partition) {
      bool exists = info && partition.partition_index >= 0 &&
                    static_cast<size_t>(partition.partition_index) < info->partitions.size();
      if (!exists) missing.partitions.push_back(partition);
      return !exists;
    });
    if (!missing.partitions.empty()) unknown.topics.push_back(std::move(missing));
  }
  std::erase_if(req.topics, [](const auto& topic) { return topic.partitions.empty(); });
  return unknown;
}
}  // namespace

void handle_offset_commit(const RequestPtr& request, protocol::Reader& body) {
  auto req = std::make_shared<OffsetCommitRequest>();
  req->decode(body, request->version());
  auto unknown = std::make_shared<OffsetCommitResponse>(
      coordinator::offset_commit_failure(take_unknown_partitions(*req, *request->broker.image()), ErrorCode::UnknownTopicOrPartition));
  auto reply = [request, unknown](OffsetCommitResponse resp) {
    for (auto& topic : unknown->topics) resp.topics.push_back(std::move(topic));
    request->reply(resp);
  };
  if (req->topics.empty()) return reply({});
  call_group<OffsetCommitResponse>(
      request, req->group_id,
      [req](coordinator::GroupCoordinator& coordinator, const coordinator::CallContext& context, int32_t partition,
            std::function<void(OffsetCommitResponse)> done) {
        coordinator.commit_offsets(context, partition, *req, std::move(done));
      },
      [req] { return coordinator::offset_commit_failure(*req, ErrorCode::NotCoordinator); }, reply);
}

}  // namespace freshet::server
