#include "protocol/errors.h"
#include "server/handlers.h"

namespace freshet::server {

// Lists every served API and its version range. A request of a version newer
// than ours is answered (by the broker's dispatcher) at v0 with
// UNSUPPORTED_VERSION and the same list, as KIP-511 asks.
protocol::ApiVersionsResponse api_versions_response() {
  protocol::ApiVersionsResponse resp;
  for (const auto& api : served_apis()) {
    protocol::ApiVersionsResponse::ApiVersion v;
    v.api_key = api.api_key;
    v.min_version = api.min_version;
    v.max_version = api.max_version;
    resp.api_keys.push_back(v);
  }
  return resp;
}

void handle_api_versions(const RequestPtr& request, protocol::Reader& body) {
  protocol::ApiVersionsRequest req;
  req.decode(body, request->version());
  request->reply(api_versions_response());
}

}  // namespace freshet::server
