// Accepts TCP connections on one address and spreads them round-robin over
// the shards; each connection then lives on its shard for good, and takes its
// large request frames from its shard's FramePool. Accepting pauses while
// max.connections are open; a connection beyond max.connections.per.ip is
// closed at once.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <memory>
#include <string>
#include <vector>

#include "net/connection.h"
#include "net/frame_pool.h"
#include "net/shard.h"

namespace freshet::net {

class Listener {
 public:
  // Binds immediately (throws std::system_error with a readable message when
  // the address is taken); accepting starts with start().
  // `name` is the listener's ("PLAINTEXT"), handed to every request.
  Listener(ShardSet& shards, RequestHandler& handler, ConnectionLimits limits, ConnectionResources resources,
           std::string name, const std::string& host, uint16_t port);
  void start();
  void stop();
  uint16_t port() const { return port_; }

 private:
  // Accepts until stop(), handing each connection to the next shard in turn.
  asio::awaitable<void> accept_loop();
  // Returns once fewer than max.connections are open.
  asio::awaitable<void> wait_below_max_connections();

  ShardSet& shards_;
  RequestHandler& handler_;
  ConnectionLimits limits_;
  ConnectionResources resources_;
  std::string name_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer slot_wakeup_;  // a connection closed below max.connections
  uint16_t port_;
  unsigned next_shard_ = 0;
  std::vector<std::shared_ptr<FramePool>> frame_pools_;  // one per shard
};

}  // namespace freshet::net
