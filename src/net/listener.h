// Accepts TCP connections on one address and spreads them round-robin over
// the shards; each connection then lives on its shard for good.
#pragma once

#include <asio/ip/tcp.hpp>

#include <string>

#include "net/connection.h"
#include "net/shard.h"

namespace freshet::net {

class Listener {
 public:
  // Binds immediately (throws std::system_error with a readable message when
  // the address is taken); accepting starts with start().
  Listener(ShardSet& shards, RequestHandler& handler, ConnectionLimits limits, const std::string& host, uint16_t port);
  void start();
  void stop();
  uint16_t port() const { return port_; }

 private:
  void accept_next();

  ShardSet& shards_;
  RequestHandler& handler_;
  ConnectionLimits limits_;
  asio::ip::tcp::acceptor acceptor_;
  uint16_t port_;
  unsigned next_shard_ = 0;
};

}  // namespace freshet::net
