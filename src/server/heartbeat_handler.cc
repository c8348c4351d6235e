#include "server/group_calls.h"
#include "server/handlers.h"

namespace freshet::server {

void handle_heartbeat(const RequestPtr& request, protocol::Reader& body) {
  serve_group_request<protocol::HeartbeatRequest, protocol::HeartbeatResponse>(
      request, body, [](auto& coordinator, const auto& context, int32_t partition, const auto& req, auto reply) {
        reply(coordinator.heartbeat(context, partition, req));
      });
}

}  // namespace freshet::server
