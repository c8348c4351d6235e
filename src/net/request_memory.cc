#include "net/request_memory.h"

#include <cassert>
#include <utility>

namespace freshet::net {

MemoryReservation::MemoryReservation(MemoryReservation&& other) noexcept
    : memory_(std::exchange(other.memory_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}

MemoryReservation& MemoryReservation::operator=(MemoryReservation&& other) noexcept {
  if (this != &other) {
    if (memory_) memory_->release(bytes_);
    memory_ = std::exchange(other.memory_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

MemoryReservation::~MemoryReservation() {
  if (memory_) memory_->release(bytes_);
}

RequestMemory::RequestMemory(int64_t capacity_bytes)
    : capacity_bytes_(capacity_bytes), available_bytes_(capacity_bytes > 0 ? capacity_bytes : INT64_MAX) {}

std::optional<MemoryReservation> RequestMemory::try_reserve(size_t bytes) {
  if (!bounded()) return MemoryReservation();
  int64_t available = available_bytes_.load();
  do {
    if (available <= 0) return std::nullopt;
  } while (!available_bytes_.compare_exchange_weak(available, available - static_cast<int64_t>(bytes)));
  return MemoryReservation(this, bytes);
}

// has_waiters_ is set before available_bytes_ is read here, and read after
// available_bytes_ is raised in release() (both sequentially consistent): a
// release racing with a new waiter either is seen here or sees the waiter.
void RequestMemory::when_available(std::function<void()> wake) {
  std::unique_lock lock(mutex_);
  has_waiters_.store(true);
  if (available_bytes_.load() > 0) {
    lock.unlock();
    wake();
    return;
  }
  waiters_.push_back(std::move(wake));
}

void RequestMemory::release(size_t bytes) {
  int64_t after = available_bytes_.fetch_add(static_cast<int64_t>(bytes)) + static_cast<int64_t>(bytes);
  assert(after <= capacity_bytes_);
  if (after <= 0 || !has_waiters_.load()) return;
  std::vector<std::function<void()>> woken;
  {
    std::lock_guard lock(mutex_);
    woken.swap(waiters_);
    has_waiters_.store(false);
  }
  for (auto& wake : woken) wake();
}

}  // namespace freshet::net
