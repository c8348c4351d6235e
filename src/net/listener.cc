#include "net/listener.h"

#include <spdlog/spdlog.h>

namespace freshet::net {

Listener::Listener(ShardSet& shards, RequestHandler& handler, ConnectionLimits limits, const std::string& host,
                   uint16_t port)
    : shards_(shards), handler_(handler), limits_(limits), acceptor_(shards.context(0)) {
  asio::ip::tcp::endpoint endpoint(asio::ip::make_address(host.empty() ? "0.0.0.0" : host), port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();
}

void Listener::start() {
  asio::post(shards_.context(0), [this] { accept_next(); });
}

void Listener::stop() {
  asio::post(shards_.context(0), [this] {
    asio::error_code ec;
    acceptor_.close(ec);
  });
}

void Listener::accept_next() {
  unsigned shard = next_shard_;
  next_shard_ = (next_shard_ + 1) % shards_.size();
  acceptor_.async_accept(shards_.context(shard), [this, shard](asio::error_code ec, asio::ip::tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (ec) {
      spdlog::warn("accept failed: {}", ec.message());
    } else {
      shards_.post(shard, [this, s = std::move(socket)]() mutable {
        std::make_shared<Connection>(std::move(s), handler_, limits_)->start();
      });
    }
    accept_next();
  });
}

}  // namespace freshet::net
