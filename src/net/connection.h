// One client connection, living on one shard: reads size-prefixed request
// frames, hands each to a RequestHandler, and writes the responses back in
// request order even when they complete out of order (pipelining).
//
// Contract with the handler: for every frame passed to handle(), the handler
// calls the Responder exactly once, on this connection's shard, with either the
// response bytes (starting with 4 reserved bytes for the size prefix, which the
// connection fills in) or std::nullopt when the request gets no response
// (Produce with acks=0). A handler that throws closes the connection.
#pragma once

#include <asio/ip/tcp.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocol/wire.h"

namespace freshet::net {

// A response's bytes, large record sets referenced rather than copied.
using ResponseBytes = std::optional<protocol::EncodedMessage>;
using Responder = std::function<void(ResponseBytes)>;

struct ConnectionLimits {
  int32_t max_request_bytes = 100 * 1024 * 1024;  // socket.request.max.bytes
  size_t max_in_flight_requests = 256;            // reading pauses beyond this...
  size_t max_in_flight_bytes = 8 * 1024 * 1024;   // ...or beyond this many request bytes (one request always fits)
};

class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // `peer` names the client for logs ("127.0.0.1:53422"). The frame excludes
  // the 4-byte size prefix and stays alive until the Responder runs.
  virtual void handle(const std::string& peer, std::shared_ptr<const std::vector<uint8_t>> frame,
                      Responder respond) = 0;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(asio::ip::tcp::socket socket, RequestHandler& handler, ConnectionLimits limits);
  // Begins the read loop; the connection keeps itself alive until closed.
  void start();
  void close(const std::string& reason);

 private:
  struct Slot {
    uint64_t sequence;
    size_t request_bytes;
    bool ready = false;
    ResponseBytes bytes;
  };

  void read_size();
  void read_body(int32_t size);
  void dispatch(std::shared_ptr<std::vector<uint8_t>> frame);
  void complete(uint64_t sequence, ResponseBytes bytes);
  void write_ready();

  asio::ip::tcp::socket socket_;
  RequestHandler& handler_;
  ConnectionLimits limits_;
  std::string peer_;
  uint8_t size_buf_[4];
  std::deque<Slot> slots_;  // in request order
  uint64_t next_sequence_ = 0;
  size_t in_flight_bytes_ = 0;  // request bytes of slots_
  bool can_read_more() const {
    return slots_.empty() || (slots_.size() < limits_.max_in_flight_requests && in_flight_bytes_ < limits_.max_in_flight_bytes);
  }
  bool write_in_flight_ = false;
  bool read_paused_ = false;
  bool closed_ = false;
  std::vector<protocol::EncodedMessage> writing_;  // kept alive until written
};

}  // namespace freshet::net
