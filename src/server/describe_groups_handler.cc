#include "server/group_calls.h"
#include "server/handlers.h"

namespace freshet::server {

namespace {
using protocol::DescribeGroupsRequest;
using protocol::DescribeGroupsResponse;
using Group = DescribeGroupsResponse::DescribedGroup;

// Without ACLs every group operation is allowed: READ, DELETE and DESCRIBE
// (bits of Kafka's AclOperation codes 3, 6 and 8).
constexpr int32_t kAllGroupOperations = (1 << 3) | (1 << 6) | (1 << 8);
}  // namespace

void handle_describe_groups(const RequestPtr& request, protocol::Reader& body) {
  auto req = std::make_shared<DescribeGroupsRequest>();
  req->decode(body, request->version());
  call_groups<Group>(
      request, req->groups,
      [req](size_t index) -> GroupCall<Group> {
        return [req, index](coordinator::GroupCoordinator& coordinator, const coordinator::CallContext& context,
                            int32_t partition, std::function<void(Group)> reply) {
          reply(coordinator.describe_group(context, partition, req->groups[index]));
        };
      },
      [req](size_t index) {
        Group out;
        out.group_id = req->groups[index];
        out.error_code = protocol::code(protocol::ErrorCode::NotCoordinator);
        return out;
      },
      [request, req](std::vector<Group> groups) {
        DescribeGroupsResponse resp;
        for (auto& group : groups)
          if (req->include_authorized_operations && group.error_code == 0) group.authorized_operations = kAllGroupOperations;
        resp.groups = std::move(groups);
        request->reply(resp);
      });
}

}  // namespace freshet::server
