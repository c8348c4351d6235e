#include "net/peer_connection.h"

#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/read.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstring>

namespace freshet::net {

namespace {
constexpr size_t kPrefixBytes = 4;
constexpr auto kDeadlineCheckEvery = std::chrono::milliseconds(50);

uint32_t read_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}
}  // namespace

std::shared_ptr<PeerConnection> PeerConnection::create(asio::io_context& context, std::string host, uint16_t port,
                                                       const PeerLimits& limits) {
  auto connection = std::shared_ptr<PeerConnection>(new PeerConnection(context, std::move(host), port, limits));
  asio::co_spawn(context, [connection] { return connection->deadline_loop(); }, asio::detached);
  return connection;
}

PeerConnection::PeerConnection(asio::io_context& context, std::string host, uint16_t port, const PeerLimits& limits)
    : context_(context),
      host_(std::move(host)),
      port_(port),
      address_(fmt::format("{}:{}", host_, port_)),
      limits_(limits),
      socket_(context),
      writer_wakeup_(context),
      deadline_timer_(context) {}

void PeerConnection::fail(Callback done) {
  asio::post(context_, [done = std::move(done)] { done(std::nullopt); });
}

void PeerConnection::send(int32_t correlation_id, std::vector<uint8_t> frame, int64_t timeout_ms, Callback done) {
  if (state_ == State::kClosed || pending_.size() >= limits_.max_in_flight_requests || pending_.count(correlation_id))
    return fail(std::move(done));
  std::vector<uint8_t> prefixed(kPrefixBytes + frame.size());
  const auto size = static_cast<uint32_t>(frame.size());
  for (size_t i = 0; i < kPrefixBytes; ++i) prefixed[i] = static_cast<uint8_t>(size >> (24 - 8 * i));
  std::memcpy(prefixed.data() + kPrefixBytes, frame.data(), frame.size());
  outgoing_.push_back(std::move(prefixed));
  pending_[correlation_id] = {std::move(done), std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms)};
  if (state_ == State::kIdle) {
    state_ = State::kConnecting;
    asio::co_spawn(context_, [self = shared_from_this()] { return self->connect(); }, asio::detached);
  } else if (state_ == State::kConnected) {
    writer_wakeup_.cancel();
  }
}

void PeerConnection::close() {
  disconnect("");
  state_ = State::kClosed;
  deadline_timer_.cancel();
}

void PeerConnection::disconnect(const std::string& reason, bool peer_gone) {
  if (state_ == State::kClosed) return;
  if (peer_gone && lost_) asio::post(context_, lost_);
  if (!reason.empty() && !logged_failure_) {
    spdlog::warn("connection to {}: {}", address_, reason);
    logged_failure_ = true;
  }
  asio::error_code ec;
  socket_.close(ec);
  state_ = State::kIdle;
  ++generation_;
  writer_wakeup_.cancel();
  outgoing_.clear();
  auto failed = std::move(pending_);
  pending_.clear();
  for (auto& [id, pending] : failed) fail(std::move(pending.done));
}

asio::awaitable<void> PeerConnection::connect() {
  const uint64_t generation = ++generation_;
  asio::error_code ec;
  // Reconnect no sooner than the backoff after the previous attempt.
  asio::steady_timer wait(context_);
  wait.expires_at(last_attempt_ + std::chrono::milliseconds(limits_.reconnect_backoff_ms));
  co_await wait.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  if (generation_ != generation) co_return;
  last_attempt_ = std::chrono::steady_clock::now();

  asio::ip::tcp::resolver resolver(context_);
  auto endpoints = co_await resolver.async_resolve(host_, std::to_string(port_), asio::redirect_error(asio::use_awaitable, ec));
  if (generation_ != generation) co_return;
  if (ec) co_return disconnect(fmt::format("cannot resolve {}: {}", host_, ec.message()));

  // The connect gives up after connect_timeout_ms (the timer closes the socket).
  asio::steady_timer timeout(context_);
  timeout.expires_after(std::chrono::milliseconds(limits_.connect_timeout_ms));
  timeout.async_wait([self = shared_from_this(), generation](asio::error_code e) {
    if (!e && self->generation_ == generation && self->state_ == State::kConnecting) {
      asio::error_code ignored;
      self->socket_.close(ignored);
    }
  });
  co_await asio::async_connect(socket_, endpoints, asio::redirect_error(asio::use_awaitable, ec));
  timeout.cancel();
  if (generation_ != generation) co_return;
  if (ec) co_return disconnect(fmt::format("cannot connect: {}", ec.message()), ec == asio::error::connection_refused);
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  state_ = State::kConnected;
  if (logged_failure_) spdlog::info("connection to {}: connected", address_);
  logged_failure_ = false;
  auto self = shared_from_this();
  asio::co_spawn(context_, [self, generation] { return self->read_loop(generation); }, asio::detached);
  asio::co_spawn(context_, [self, generation] { return self->write_loop(generation); }, asio::detached);
}

asio::awaitable<void> PeerConnection::write_loop(uint64_t generation) {
  while (generation_ == generation) {
    if (outgoing_.empty()) {
      writer_wakeup_.expires_at(std::chrono::steady_clock::time_point::max());
      asio::error_code ignored;
      co_await writer_wakeup_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      continue;
    }
    std::vector<std::vector<uint8_t>> frames(std::make_move_iterator(outgoing_.begin()), std::make_move_iterator(outgoing_.end()));
    outgoing_.clear();
    std::vector<asio::const_buffer> buffers;
    for (const auto& f : frames) buffers.emplace_back(asio::buffer(f));
    asio::error_code ec;
    co_await asio::async_write(socket_, buffers, asio::redirect_error(asio::use_awaitable, ec));
    if (generation_ != generation) co_return;
    if (ec) co_return disconnect(fmt::format("write failed: {}", ec.message()));
  }
}

asio::awaitable<void> PeerConnection::read_loop(uint64_t generation) {
  while (generation_ == generation) {
    uint8_t prefix[kPrefixBytes];
    asio::error_code ec;
    co_await asio::async_read(socket_, asio::buffer(prefix), asio::redirect_error(asio::use_awaitable, ec));
    if (generation_ != generation) co_return;
    if (ec)
      co_return disconnect(ec == asio::error::eof ? "closed by the peer" : fmt::format("read failed: {}", ec.message()),
                           ec == asio::error::eof || ec == asio::error::connection_reset);
    const size_t size = read_be32(prefix);
    if (size < 4 || size > limits_.max_response_bytes)
      co_return disconnect(fmt::format("answer of {} bytes outside [4, {}]", size, limits_.max_response_bytes));
    std::vector<uint8_t> frame(size);
    co_await asio::async_read(socket_, asio::buffer(frame), asio::redirect_error(asio::use_awaitable, ec));
    if (generation_ != generation) co_return;
    if (ec) co_return disconnect(fmt::format("read failed: {}", ec.message()));
    auto it = pending_.find(static_cast<int32_t>(read_be32(frame.data())));
    if (it == pending_.end()) co_return disconnect("answer to no request in flight");
    Callback done = std::move(it->second.done);
    pending_.erase(it);
    done(std::move(frame));
  }
}

asio::awaitable<void> PeerConnection::deadline_loop() {
  while (state_ != State::kClosed) {
    deadline_timer_.expires_after(kDeadlineCheckEvery);
    asio::error_code ignored;
    co_await deadline_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    const auto now = std::chrono::steady_clock::now();
    for (const auto& [id, pending] : pending_) {
      if (pending.deadline <= now) {
        disconnect("request timed out");
        break;
      }
    }
  }
}

}  // namespace freshet::net
