#include "server/group_calls.h"
#include "server/handlers.h"

namespace freshet::server {

void handle_leave_group(const RequestPtr& request, protocol::Reader& body) {
  serve_group_request<protocol::LeaveGroupRequest, protocol::LeaveGroupResponse>(
      request, body, [](auto& coordinator, const auto& context, int32_t partition, const auto& req, auto reply) {
        coordinator.leave_group(context, partition, req, std::move(reply));
      });
}

}  // namespace freshet::server
