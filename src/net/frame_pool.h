// Recycled buffers for large request frames. A frame taken from the pool goes
// back to it when its last owner drops it (on any thread: handlers pass frames
// to other shards), so a connection streaming large requests (Produce)
// neither allocates nor zero-fills a buffer per request: a recycled buffer is
// zero-filled only where the new frame is longer than the one it last held.
// Small frames are plain allocations: zero-filling them costs nothing.
// A frame also carries its request's share of the broker's request memory,
// returned with the frame.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "net/request_memory.h"

namespace freshet::net {

struct FramePoolLimits {
  size_t min_frame_bytes = 64 * 1024;         // smaller frames are not pooled
  size_t max_idle_buffers = 4;                // buffers kept while idle...
  size_t max_buffer_bytes = 2 * 1024 * 1024;  // ...each at most this large
};

class FramePool : public std::enable_shared_from_this<FramePool> {
 public:
  explicit FramePool(FramePoolLimits limits) : limits_(limits) {}

  // A buffer of at least `size_bytes` (exactly, for small frames; a recycled
  // one keeps its larger size, so growing into it fills nothing), contents
  // unspecified, holding `reservation` until the last owner drops it. Any thread.
  std::shared_ptr<std::vector<uint8_t>> take(size_t size_bytes, MemoryReservation reservation = {});

  size_t idle_buffers() const;

 private:
  struct Frame;
  void give_back(std::vector<uint8_t> buffer);

  const FramePoolLimits limits_;
  mutable std::mutex mutex_;
  std::vector<std::vector<uint8_t>> idle_;
};

}  // namespace freshet::net
