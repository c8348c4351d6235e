#include "server/group_calls.h"
#include "server/handlers.h"

namespace freshet::server {

void handle_join_group(const RequestPtr& request, protocol::Reader& body) {
  serve_group_request<protocol::JoinGroupRequest, protocol::JoinGroupResponse>(
      request, body, [](auto& coordinator, const auto& context, int32_t partition, const auto& req, auto reply) {
        coordinator.join_group(context, partition, req, std::move(reply));
      });
}

}  // namespace freshet::server
