// One decoded request on its way through a handler: who sent it, its header,
// and the way back. Handlers run on the connection's shard and may hop to
// other shards; they answer exactly once with reply() or no_reply().
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "net/connection.h"
#include "protocol/api_keys.h"
#include "protocol/messages.h"
#include "protocol/wire.h"

namespace freshet::server {

class Broker;

struct Request {
  Broker& broker;
  unsigned shard;  // the connection's shard
  std::string peer;
  protocol::RequestHeader header;
  std::shared_ptr<const std::vector<uint8_t>> frame;  // keeps decoded Records views alive
  net::Responder respond;

  int16_t version() const { return header.request_api_version; }

  template <typename Body>
  void reply(const Body& body) const {
    protocol::Writer w;
    write_response_header(w);
    body.encode(w, version());
    respond(w.take_message());
  }
  void no_reply() const { respond(std::nullopt); }

 private:
  // Reserves the size prefix and writes the correlation id (+ tagged fields).
  void write_response_header(protocol::Writer& w) const;
};

using RequestPtr = std::shared_ptr<Request>;

}  // namespace freshet::server
