#include "server/request.h"

namespace freshet::server {

void Request::write_response_header(protocol::Writer& w) const {
  w.i32(0);
  protocol::ResponseHeader header;
  header.correlation_id = this->header.correlation_id;
  header.encode(w, protocol::response_header_version(this->header.request_api_key, version()));
}

}  // namespace freshet::server
