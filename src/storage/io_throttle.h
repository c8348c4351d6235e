// Keeps one thread's I/O under a rate (log.cleaner.io.max.bytes.per.second,
// Kafka's Throttler): the thread reports bytes as it reads or writes them
// and is put to sleep for as long as its average over the current window
// runs ahead of the rate. Used by one thread at a time; the rate may be
// changed from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace freshet::storage {

class IoThrottle {
 public:
  // A rate of 0 or less, or infinity, never sleeps.
  explicit IoThrottle(double max_bytes_per_second) { set_rate(max_bytes_per_second); }

  void set_rate(double max_bytes_per_second) { rate_bytes_per_second_.store(max_bytes_per_second); }
  // Counts `bytes` and sleeps as long as needed to keep the rate; wakes up
  // at least every 100 ms to return early once `stop` is set.
  void account(uint64_t bytes, const std::atomic<bool>& stop);

 private:
  using Clock = std::chrono::steady_clock;
  std::atomic<double> rate_bytes_per_second_;
  Clock::time_point window_start_ = Clock::now();
  uint64_t window_bytes_ = 0;
};

}  // namespace freshet::storage
