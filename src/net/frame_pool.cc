#include "net/frame_pool.h"

namespace freshet::net {

std::shared_ptr<std::vector<uint8_t>> FramePool::take(size_t size_bytes) {
  if (size_bytes < limits_.min_frame_bytes) return std::make_shared<std::vector<uint8_t>>(size_bytes);
  std::unique_ptr<std::vector<uint8_t>> buffer;
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      buffer = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (!buffer) buffer = std::make_unique<std::vector<uint8_t>>();
  buffer->resize(size_bytes);
  return std::shared_ptr<std::vector<uint8_t>>(buffer.release(), [pool = shared_from_this()](std::vector<uint8_t>* released) {
    pool->give_back(released);
  });
}

size_t FramePool::idle_buffers() const {
  std::lock_guard lock(mutex_);
  return idle_.size();
}

void FramePool::give_back(std::vector<uint8_t>* buffer) {
  std::unique_ptr<std::vector<uint8_t>> owned(buffer);
  if (owned->capacity() > limits_.max_buffer_bytes) return;
  std::lock_guard lock(mutex_);
  if (idle_.size() < limits_.max_idle_buffers) idle_.push_back(std::move(owned));
}

}  // namespace freshet::net
