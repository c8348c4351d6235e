#include "net/frame_pool.h"

namespace freshet::net {

// A frame's bytes and what goes back when it is dropped. A moved std::vector
// keeps its heap buffer, so recycling moves buffers in and out of the pool.
struct FramePool::Frame {
  std::vector<uint8_t> bytes;
  MemoryReservation reservation;
  std::shared_ptr<FramePool> pool;  // null: not recycled
  ~Frame() {
    if (pool) pool->give_back(std::move(bytes));
  }
};

std::shared_ptr<std::vector<uint8_t>> FramePool::take(size_t size_bytes, MemoryReservation reservation) {
  auto frame = std::make_shared<Frame>();
  frame->reservation = std::move(reservation);
  if (size_bytes >= limits_.min_frame_bytes) {
    frame->pool = shared_from_this();
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      frame->bytes = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (frame->bytes.size() < size_bytes) frame->bytes.resize(size_bytes);
  return std::shared_ptr<std::vector<uint8_t>>(frame, &frame->bytes);
}

size_t FramePool::idle_buffers() const {
  std::lock_guard lock(mutex_);
  return idle_.size();
}

void FramePool::give_back(std::vector<uint8_t> buffer) {
  if (buffer.capacity() > limits_.max_buffer_bytes) return;
  std::lock_guard lock(mutex_);
  if (idle_.size() < limits_.max_idle_buffers) idle_.push_back(std::move(buffer));
}

}  // namespace freshet::net
