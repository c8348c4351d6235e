#include "server/group_calls.h"
#include "server/handlers.h"

namespace freshet::server {

namespace {
using protocol::DeleteGroupsRequest;
using protocol::DeleteGroupsResponse;
using Result = DeleteGroupsResponse::DeletableGroupResult;
}  // namespace

void handle_delete_groups(const RequestPtr& request, protocol::Reader& body) {
  auto req = std::make_shared<DeleteGroupsRequest>();
  req->decode(body, request->version());
  call_groups<Result>(
      request, req->groups_names,
      [req](size_t index) -> GroupCall<Result> {
        return [req, index](coordinator::GroupCoordinator& coordinator, const coordinator::CallContext& context,
                            int32_t partition, std::function<void(Result)> reply) {
          coordinator.delete_group(context, partition, req->groups_names[index], std::move(reply));
        };
      },
      [req](size_t index) {
        Result out;
        out.group_id = req->groups_names[index];
        out.error_code = protocol::code(protocol::ErrorCode::NotCoordinator);
        return out;
      },
      [request](std::vector<Result> results) {
        DeleteGroupsResponse resp;
        resp.results = std::move(results);
        request->reply(resp);
      });
}

}  // namespace freshet::server
