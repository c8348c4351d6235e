// The one timer that drives a coordinator state machine's timeouts on its
// shard: armed at the machine's next deadline; when it fires the machine
// advances to the current time. A failing pass is logged and retried a second
// later (not at once, which could spin the shard), so timeouts never stop.
// Shard thread only.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace freshet::server {

class CoordinatorTimer {
 public:
  // `what` names the machine in log lines ("the group coordinator").
  CoordinatorTimer(asio::io_context& context, std::string what, std::function<std::optional<int64_t>()> next_deadline_ms,
                   std::function<void(int64_t now_ms)> advance);

  // Re-arms at the machine's next deadline. Call after every call into the
  // machine that may have changed its deadlines.
  void rearm();
  // Cancels the timer (shutdown).
  void stop();

 private:
  void fire();

  asio::steady_timer timer_;
  std::string what_;
  std::function<std::optional<int64_t>()> next_deadline_ms_;
  std::function<void(int64_t)> advance_;
  std::optional<int64_t> armed_deadline_ms_;
  bool stopped_ = false;
};

}  // namespace freshet::server
