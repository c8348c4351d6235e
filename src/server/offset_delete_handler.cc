#include "server/group_calls.h"
#include "server/handlers.h"

namespace freshet::server {

void handle_offset_delete(const RequestPtr& request, protocol::Reader& body) {
  serve_group_request<protocol::OffsetDeleteRequest, protocol::OffsetDeleteResponse>(
      request, body, [](auto& coordinator, const auto& context, int32_t partition, const auto& req, auto reply) {
        coordinator.delete_offsets(context, partition, req, std::move(reply));
      });
}

}  // namespace freshet::server
