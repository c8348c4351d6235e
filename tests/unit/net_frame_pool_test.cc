// FramePool: large frames are recycled (also when released on another
// thread), small and oversized ones are not, and idle buffers are bounded.
#include <gtest/gtest.h>

#include <thread>

#include "net/frame_pool.h"

namespace freshet::net {
namespace {

FramePoolLimits limits() {
  FramePoolLimits l;
  l.min_frame_bytes = 100;
  l.max_idle_buffers = 2;
  l.max_buffer_bytes = 1000;
  return l;
}

TEST(FramePool, RecyclesLargeFramesWithTheirStorage) {
  auto pool = std::make_shared<FramePool>(limits());
  const uint8_t* storage;
  {
    auto frame = pool->take(500);
    EXPECT_EQ(frame->size(), 500u);
    storage = frame->data();
  }
  EXPECT_EQ(pool->idle_buffers(), 1u);
  auto again = pool->take(400);
  EXPECT_EQ(again->size(), 500u) << "a recycled buffer keeps its size: growing into it fills nothing";
  EXPECT_EQ(again->data(), storage);
  EXPECT_EQ(pool->idle_buffers(), 0u);
}

TEST(FramePool, SmallAndOversizedFramesAreNotKept) {
  auto pool = std::make_shared<FramePool>(limits());
  pool->take(99);
  pool->take(5000);
  EXPECT_EQ(pool->idle_buffers(), 0u);
}

TEST(FramePool, KeepsAtMostMaxIdleBuffers) {
  auto pool = std::make_shared<FramePool>(limits());
  {
    auto a = pool->take(200), b = pool->take(200), c = pool->take(200);
  }
  EXPECT_EQ(pool->idle_buffers(), 2u);
}

TEST(FramePool, FramesMayBeReleasedOnAnotherThreadAndOutliveThePool) {
  auto pool = std::make_shared<FramePool>(limits());
  auto frame = pool->take(300);
  std::thread([f = std::move(frame)]() mutable { f.reset(); }).join();
  EXPECT_EQ(pool->idle_buffers(), 1u);
  auto survivor = pool->take(300);
  pool.reset();
  (*survivor)[299] = 1;  // still valid; returns to the pool it keeps alive
}

}  // namespace
}  // namespace freshet::net
