#include "server/coordinator_timer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "server/clock.h"

namespace freshet::server {

CoordinatorTimer::CoordinatorTimer(asio::io_context& context, std::string what,
                                   std::function<std::optional<int64_t>()> next_deadline_ms,
                                   std::function<void(int64_t now_ms)> advance)
    : timer_(context), what_(std::move(what)), next_deadline_ms_(std::move(next_deadline_ms)), advance_(std::move(advance)) {}

void CoordinatorTimer::rearm() {
  if (stopped_) return;
  auto deadline = next_deadline_ms_();
  if (deadline == armed_deadline_ms_) return;
  armed_deadline_ms_ = deadline;
  if (!deadline) {
    timer_.cancel();
    return;
  }
  timer_.expires_after(std::chrono::milliseconds(std::max<int64_t>(0, *deadline - now_ms())));
  timer_.async_wait([this](const asio::error_code& error) {
    if (!error) fire();
  });
}

void CoordinatorTimer::fire() {
  armed_deadline_ms_.reset();
  try {
    advance_(now_ms());
  } catch (const std::exception& e) {
    spdlog::error("{}: its timeouts failed, retrying in 1 s: {}", what_, e.what());
    armed_deadline_ms_ = now_ms() + 1000;
    timer_.expires_after(std::chrono::seconds(1));
    timer_.async_wait([this](const asio::error_code& error) {
      if (!error) fire();
    });
    return;
  }
  rearm();
}

void CoordinatorTimer::stop() {
  stopped_ = true;
  armed_deadline_ms_.reset();
  timer_.cancel();
}

}  // namespace freshet::server
