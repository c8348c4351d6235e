// An outbound connection from this node to another node's listener, for the
// requests a node sends itself (the metadata quorum's Vote, BeginQuorumEpoch
// and Fetch; a broker's registration and heartbeats): request frames out,
// answers matched to them by correlation id.
//
// It connects on first use and again after a failure, no sooner than
// `reconnect_backoff_ms` after the previous attempt. A request fails (its
// callback gets nullopt) when it cannot be sent, when the connection breaks
// before its answer, or when no answer came within its timeout (which also
// closes the connection, as Kafka's clients do). At most
// `max_in_flight_requests` wait for answers, answers are at most
// `max_response_bytes`: beyond either the request fails at once, or the
// connection closes.
//
// Lives on one shard: create(), send() and close() run on its io_context's
// thread, and so do the callbacks (never inside send()).
#pragma once

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace freshet::net {

struct PeerLimits {
  int64_t connect_timeout_ms = 10000;    // socket.connection.setup.timeout.ms
  int64_t reconnect_backoff_ms = 50;     // reconnect.backoff.ms
  size_t max_in_flight_requests = 64;
  size_t max_response_bytes = 64 << 20;
};

class PeerConnection : public std::enable_shared_from_this<PeerConnection> {
 public:
  // The answer's frame (response header and body, no size prefix), or
  // nullopt when the request failed.
  using Callback = std::function<void(std::optional<std::vector<uint8_t>>)>;

  static std::shared_ptr<PeerConnection> create(asio::io_context& context, std::string host, uint16_t port,
                                                const PeerLimits& limits);

  // `frame` is the whole request without its size prefix; its header holds
  // `correlation_id`, unique among this connection's requests in flight.
  void send(int32_t correlation_id, std::vector<uint8_t> frame, int64_t timeout_ms, Callback done);
  // Fails every request in flight and stops for good.
  void close();
  // Called (posted) whenever the peer closes or resets the connection or
  // refuses one: what a dead process's host does, unlike a timeout.
  void on_lost(std::function<void()> lost) { lost_ = std::move(lost); }

  const std::string& address() const { return address_; }
  bool connected() const { return state_ == State::kConnected; }

 private:
  enum class State { kIdle, kConnecting, kConnected, kClosed };
  struct Pending {
    Callback done;
    std::chrono::steady_clock::time_point deadline;
  };

  PeerConnection(asio::io_context& context, std::string host, uint16_t port, const PeerLimits& limits);
  asio::awaitable<void> connect();
  asio::awaitable<void> write_loop(uint64_t generation);
  asio::awaitable<void> read_loop(uint64_t generation);
  asio::awaitable<void> deadline_loop();
  // Drops the socket and fails every request in flight; the next send()
  // connects again. `reason` is logged once per failure; `peer_gone` when
  // the peer itself ended the connection (or refused it).
  void disconnect(const std::string& reason, bool peer_gone = false);
  void fail(Callback done);

  asio::io_context& context_;
  std::string host_;
  uint16_t port_;
  std::string address_;
  PeerLimits limits_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer writer_wakeup_;
  asio::steady_timer deadline_timer_;
  State state_ = State::kIdle;
  uint64_t generation_ = 0;  // bumped per connection: old loops stop
  std::chrono::steady_clock::time_point last_attempt_{};
  bool logged_failure_ = false;
  std::deque<std::vector<uint8_t>> outgoing_;  // frames with their size prefix
  std::map<int32_t, Pending> pending_;         // by correlation id
  std::function<void()> lost_;
};

}  // namespace freshet::net
