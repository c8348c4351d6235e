#include "net/listener.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <chrono>

namespace freshet::net {

namespace {
// After a failed accept (e.g. out of file descriptors) the listener waits this
// long before trying again, rather than spinning.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};
}  // namespace

Listener::Listener(ShardSet& shards, RequestHandler& handler, ConnectionLimits limits, ConnectionResources resources,
                   std::string name, const std::string& host, uint16_t port)
    : shards_(shards),
      handler_(handler),
      limits_(limits),
      resources_(std::move(resources)),
      name_(std::move(name)),
      acceptor_(shards.context(0)),
      slot_wakeup_(shards.context(0), asio::steady_timer::time_point::max()) {
  asio::ip::tcp::endpoint endpoint(asio::ip::make_address(host.empty() ? "0.0.0.0" : host), port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();
  for (unsigned i = 0; i < shards_.size(); ++i) frame_pools_.push_back(std::make_shared<FramePool>(FramePoolLimits{}));
}

void Listener::start() {
  asio::co_spawn(shards_.context(0), [this] { return accept_loop(); }, asio::detached);
}

void Listener::stop() {
  asio::post(shards_.context(0), [this] {
    asio::error_code ec;
    acceptor_.close(ec);
    slot_wakeup_.cancel();
  });
}

asio::awaitable<void> Listener::wait_below_max_connections() {
  auto below = std::make_shared<bool>(false);
  resources_.quotas->when_below_max([this, below] {
    asio::post(acceptor_.get_executor(), [this, below] {
      *below = true;
      slot_wakeup_.cancel();
    });
  });
  while (!*below && acceptor_.is_open()) {
    asio::error_code ignored;
    co_await slot_wakeup_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
}

asio::awaitable<void> Listener::accept_loop() {
  asio::steady_timer retry(acceptor_.get_executor());
  while (acceptor_.is_open()) {
    co_await wait_below_max_connections();
    unsigned shard = next_shard_;
    next_shard_ = (next_shard_ + 1) % shards_.size();
    asio::error_code ec;
    asio::ip::tcp::socket socket =
        co_await acceptor_.async_accept(shards_.context(shard), asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {
      spdlog::warn("accept failed: {}; retrying in {} ms", ec.message(), kAcceptRetryDelay.count());
      retry.expires_after(kAcceptRetryDelay);
      co_await retry.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    auto peer = socket.remote_endpoint(ec);
    std::string ip = ec ? std::string("unknown") : peer.address().to_string();
    if (!resources_.quotas->try_open(ip)) {
      spdlog::info("rejecting connection from {}: too many connections from it (max.connections.per.ip)", ip);
      socket.close(ec);
      continue;
    }
    shards_.post(shard, [this, shard, ip, s = std::move(socket)]() mutable {
      std::make_shared<Connection>(std::move(s), ip, name_, handler_, limits_, resources_, frame_pools_[shard])->start();
    });
  }
}

}  // namespace freshet::net
