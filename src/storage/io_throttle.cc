#include "storage/io_throttle.h"

#include <cmath>
#include <thread>

namespace freshet::storage {

namespace {
// The window over which the rate is averaged, and how often a sleeping
// thread looks at its stop flag.
constexpr auto kWindow = std::chrono::milliseconds(300);
constexpr auto kStopCheckInterval = std::chrono::milliseconds(100);
}  // namespace

void IoThrottle::account(uint64_t bytes, const std::atomic<bool>& stop) {
  const double rate = rate_bytes_per_second_.load();
  if (!(rate > 0) || std::isinf(rate)) return;
  window_bytes_ += bytes;
  const auto elapsed = Clock::now() - window_start_;
  if (elapsed < kWindow) return;
  const auto wanted =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(static_cast<double>(window_bytes_) / rate));
  for (auto until = window_start_ + wanted; Clock::now() < until && !stop.load();)
    std::this_thread::sleep_for(std::min<Clock::duration>(until - Clock::now(), kStopCheckInterval));
  window_start_ = Clock::now();
  window_bytes_ = 0;
}

}  // namespace freshet::storage
