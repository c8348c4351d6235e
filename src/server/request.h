// One decoded request on its way through a handler: who sent it, its header,
// and the way back. Handlers run on the connection's shard and may hop to
// other shards; they answer exactly once with reply(), no_reply() or fail().
// A request destroyed unanswered (its handler threw on some shard, or lost
// it) fails: its connection is closed with a log line naming client and API.
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
  Request(Broker& broker, unsigned shard, const net::ClientInfo& client, std::shared_ptr<const std::vector<uint8_t>> frame,
          net::Responder respond)
      : broker(broker), shard(shard), peer(client.peer), listener(client.listener), connection_id(client.connection_id),
        frame(std::move(frame)), respond(std::move(respond)) {}
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;
  ~Request();

  Broker& broker;
  unsigned shard;  // the connection's shard
  std::string peer;
  std::string listener;  // the name of the listener the client connected through
  uint64_t connection_id;  // see net::ClientInfo
  protocol::RequestHeader header;
  std::shared_ptr<const std::vector<uint8_t>> frame;  // keeps decoded Records views alive
  size_t body_offset = 0;  // where the request body starts in `frame` (after the header)
  net::Responder respond;

  int16_t version() const { return header.request_api_version; }

  template <typename Body>
  void reply(const Body& body) const {
    protocol::Writer w;
    write_response_header(w);
    body.encode(w, version());
    answered_ = true;
    respond(w.take_message());
  }
  // A body encoded already (the active controller's answer to a forwarded request).
  void reply_encoded(std::span<const uint8_t> body) const {
    protocol::Writer w;
    write_response_header(w);
    w.raw(body);
    answered_ = true;
    respond(w.take_message());
  }
  void no_reply() const {
    answered_ = true;
    respond(std::nullopt);
  }
  // Gives up on the request: logs `reason` with the client and the API, and
  // closes the connection. Any thread.
  void fail(const std::string& reason) const;

 private:
  mutable bool answered_ = false;
  // Reserves the size prefix and writes the correlation id (+ tagged fields).
  void write_response_header(protocol::Writer& w) const;
};

using RequestPtr = std::shared_ptr<Request>;

}  // namespace freshet::server
