#include "server/request.h"

#include <fmt/format.h>

#include "net/shard.h"
#include "protocol/client_text.h"

namespace freshet::server {

// Off the shards a request is destroyed only while the reactors are torn
// down at exit, when its connection is gone too.
Request::~Request() {
  if (!answered_ && net::ShardSet::current() != net::ShardSet::kNoShard)
    fail("dropped without an answer (see the shard's error above)");
}

void Request::fail(const std::string& reason) const {
  answered_ = true;
  const protocol::ApiInfo* api = protocol::find_api(header.request_api_key);
  respond.fail(fmt::format("{} v{} request (correlation id {}, client id '{}'): {}", api ? api->name : "unknown API",
                           version(), header.correlation_id, protocol::client_text(header.client_id.value_or("")), reason));
}

void Request::write_response_header(protocol::Writer& w) const {
  w.i32(0);
  protocol::ResponseHeader header;
  header.correlation_id = this->header.correlation_id;
  header.encode(w, protocol::response_header_version(this->header.request_api_key, version()));
}

}  // namespace freshet::server
