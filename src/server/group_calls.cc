#include "server/group_calls.h"

#include <fmt/format.h>

namespace freshet::server {

coordinator::CallContext call_context(const Request& request) {
  coordinator::CallContext context;
  context.api_version = request.version();
  context.client_id = request.header.client_id.value_or("");
  // Kafka reports a member's host as Java's InetAddress.toString(): "/<ip>".
  auto colon = request.peer.rfind(':');
  context.client_host = fmt::format("/{}", std::string_view(request.peer).substr(0, colon));
  return context;
}

}  // namespace freshet::server
