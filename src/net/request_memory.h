// The broker-wide budget for bytes held by requests being read or queued,
// with Kafka's queued.max.request.bytes semantics: a connection reserves a
// request's size when its size prefix arrives and keeps the reservation until
// the frame is freed; when nothing is left, connections pause reading (no
// request fails) until some is released. As Kafka's non-strict pool, a
// reservation is granted while any budget is left, so the total overshoots the
// capacity by at most one request; a reserved request can always be read
// completely, so paused connections never wait on each other.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

namespace freshet::net {

class RequestMemory;

// A share of the budget, returned when destroyed. Movable, any thread.
class MemoryReservation {
 public:
  MemoryReservation() = default;
  MemoryReservation(RequestMemory* memory, size_t bytes) : memory_(memory), bytes_(bytes) {}
  MemoryReservation(MemoryReservation&& other) noexcept;
  MemoryReservation& operator=(MemoryReservation&& other) noexcept;
  ~MemoryReservation();
  size_t bytes() const { return bytes_; }

 private:
  RequestMemory* memory_ = nullptr;
  size_t bytes_ = 0;
};

class RequestMemory {
 public:
  // `capacity_bytes` <= 0: unbounded (Kafka's -1).
  explicit RequestMemory(int64_t capacity_bytes);
  RequestMemory(const RequestMemory&) = delete;
  RequestMemory& operator=(const RequestMemory&) = delete;

  // A reservation of `bytes` while any budget is left, else nullopt. Any thread.
  std::optional<MemoryReservation> try_reserve(size_t bytes);
  // Calls `wake` once, on the thread that next returns memory, or at once
  // (on this thread) when some budget is left now. Any thread.
  void when_available(std::function<void()> wake);

  bool bounded() const { return capacity_bytes_ > 0; }
  int64_t available_bytes() const { return available_bytes_.load(std::memory_order_relaxed); }

 private:
  friend class MemoryReservation;
  void release(size_t bytes);

  const int64_t capacity_bytes_;
  std::atomic<int64_t> available_bytes_;
  std::atomic<bool> has_waiters_{false};
  std::mutex mutex_;
  std::vector<std::function<void()>> waiters_;  // at most one per paused connection
};

}  // namespace freshet::net
