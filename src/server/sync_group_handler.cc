#include "server/group_calls.h"
#include "server/handlers.h"

namespace freshet::server {

void handle_sync_group(const RequestPtr& request, protocol::Reader& body) {
  serve_group_request<protocol::SyncGroupRequest, protocol::SyncGroupResponse>(
      request, body, [](auto& coordinator, const auto& context, int32_t partition, const auto& req, auto reply) {
        coordinator.sync_group(context, partition, req, std::move(reply));
      });
}

}  // namespace freshet::server
