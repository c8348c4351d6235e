#include "server/group_calls.h"
#include "server/handlers.h"

namespace freshet::server {

namespace {
using protocol::ErrorCode;
using protocol::OffsetFetchRequest;
using protocol::OffsetFetchResponse;
using Group = OffsetFetchResponse::OffsetFetchResponseGroup;

constexpr int16_t kFirstBatchedVersion = 8;  // v8+ carries many groups
constexpr int16_t kFirstTopLevelErrorVersion = 2;

Group not_coordinated(const std::string& group_id) {
  Group out;
  out.group_id = group_id;
  out.error_code = protocol::code(ErrorCode::NotCoordinator);
  return out;
}

GroupCall<Group> fetch(std::shared_ptr<const OffsetFetchRequest> req, size_t index) {
  return [req, index](coordinator::GroupCoordinator& coordinator, const coordinator::CallContext& context,
                      int32_t partition, std::function<void(Group)> reply) {
    reply(coordinator.fetch_offsets(context, partition, req->groups[index], req->require_stable));
  };
}

// v0-7 ask for one group in the top-level fields: seen as a one-group batch.
void to_batched(OffsetFetchRequest& req) {
  auto& group = req.groups.emplace_back();
  group.group_id = req.group_id;
  group.member_id = std::nullopt;
  if (!req.topics) {
    group.topics = std::nullopt;
    return;
  }
  for (auto& topic : *req.topics) {
    auto& t = group.topics->emplace_back();
    t.name = std::move(topic.name);
    t.partition_indexes = std::move(topic.partition_indexes);
  }
}

// ... and answered in the top-level fields; v0-1 have no group-level error
// code, so a group error is reported on every partition asked for.
OffsetFetchResponse from_batched(Group group, int16_t version, const OffsetFetchRequest& req) {
  OffsetFetchResponse resp;
  if (version < kFirstTopLevelErrorVersion && group.error_code != 0 && req.topics) {
    for (const auto& topic : *req.topics) {
      auto& t = resp.topics.emplace_back();
      t.name = topic.name;
      for (int32_t index : topic.partition_indexes) {
        auto& p = t.partitions.emplace_back();
        p.partition_index = index;
        p.committed_offset = -1;
        p.error_code = group.error_code;
      }
    }
    return resp;
  }
  resp.error_code = group.error_code;
  for (auto& topic : group.topics) {
    auto& t = resp.topics.emplace_back();
    t.name = std::move(topic.name);
    for (auto& partition : topic.partitions) {
      auto& p = t.partitions.emplace_back();
      p.partition_index = partition.partition_index;
      p.committed_offset = partition.committed_offset;
      p.committed_leader_epoch = partition.committed_leader_epoch;
      p.metadata = std::move(partition.metadata);
      p.error_code = partition.error_code;
    }
  }
  return resp;
}
}  // namespace

void handle_offset_fetch(const RequestPtr& request, protocol::Reader& body) {
  auto req = std::make_shared<OffsetFetchRequest>();
  req->decode(body, request->version());
  bool batched = request->version() >= kFirstBatchedVersion;
  if (!batched) to_batched(*req);
  std::vector<std::string> group_ids;
  for (const auto& group : req->groups) group_ids.push_back(group.group_id);
  call_groups<Group>(
      request, group_ids, [req](size_t index) { return fetch(req, index); },
      [req](size_t index) { return not_coordinated(req->groups[index].group_id); },
      [request, req, batched](std::vector<Group> groups) {
        if (!batched) return request->reply(from_batched(std::move(groups.front()), request->version(), *req));
        OffsetFetchResponse resp;
        resp.groups = std::move(groups);
        request->reply(resp);
      });
}

}  // namespace freshet::server
