// DataNotifier: an append wakes only the fetches waiting on that partition,
// on their own shards, and no wake-up is lost to a fetch that registers while
// data arrives.
#include "server/data_notifier.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>

namespace freshet::server {
namespace {

using namespace std::chrono_literals;

class DataNotifierTest : public ::testing::Test {
 protected:
  DataNotifierTest() : shards_(2), notifier_(shards_) { shards_.start(); }
  ~DataNotifierTest() override { shards_.stop(); }

  // Runs fn() on `shard` and returns its result.
  template <typename Fn>
  auto on(unsigned shard, Fn fn) {
    // Shared: the shard may still be inside set_value() when get() returns.
    auto done = std::make_shared<std::promise<decltype(fn())>>();
    auto result = done->get_future();
    shards_.post(shard, [&fn, done] { done->set_value(fn()); });
    EXPECT_EQ(result.wait_for(10s), std::future_status::ready);
    return result.get();
  }

  // Registers a waiter on `shard` that sets `*woken` (from that shard).
  uint64_t wait(unsigned shard, std::vector<std::shared_ptr<DataSignal>> signals, std::atomic<int>* woken) {
    std::vector<DataNotifier::Watch> watches;
    for (auto& s : signals) watches.push_back({s, s->generation()});
    auto id = on(shard, [&] {
      return notifier_.wait(shard, watches, [woken, shard] {
        EXPECT_EQ(net::ShardSet::current(), shard);
        woken->fetch_add(1);
      });
    });
    EXPECT_TRUE(id.has_value());
    return id.value_or(0);
  }

  // Waits until every post already made to both shards has run. Twice: asio
  // queues a handler's own posts privately until the handler returns, so a
  // post made from here while it still runs may overtake them; the second
  // round is queued after them.
  void drain() {
    for (int round = 0; round < 2; ++round) {
      for (unsigned shard = 0; shard < shards_.size(); ++shard) on(shard, [] { return 0; });
    }
  }

  net::ShardSet shards_;
  DataNotifier notifier_;
};

TEST_F(DataNotifierTest, AppendWakesOnlyTheWaitersOfItsPartition) {
  auto a = notifier_.make_signal(), b = notifier_.make_signal();
  std::atomic<int> on_a{0}, on_b{0}, on_both{0};
  wait(0, {a}, &on_a);
  wait(1, {b}, &on_b);
  wait(1, {a, b}, &on_both);

  on(0, [&] { notifier_.data_arrived(a); return 0; });
  drain();
  EXPECT_EQ(on_a, 1);
  EXPECT_EQ(on_b, 0);
  EXPECT_EQ(on_both, 1);

  on(1, [&] { notifier_.data_arrived(b); return 0; });
  drain();
  EXPECT_EQ(on_a, 1) << "one-shot";
  EXPECT_EQ(on_b, 1);
  EXPECT_EQ(on_both, 1) << "one-shot, and no longer registered on a's twin";
}

TEST_F(DataNotifierTest, WaitRefusesWhenDataArrivedSinceTheRead) {
  auto a = notifier_.make_signal(), b = notifier_.make_signal();
  uint64_t noted = a->generation();
  on(0, [&] { notifier_.data_arrived(a); return 0; });
  bool woken = false;
  auto id = on(1, [&] {
    return notifier_.wait(1, {{b, b->generation()}, {a, noted}}, [&] { woken = true; });
  });
  EXPECT_FALSE(id.has_value());
  on(0, [&] { notifier_.data_arrived(b); return 0; });
  drain();
  EXPECT_FALSE(woken) << "a refused wait registers nothing";
}

TEST_F(DataNotifierTest, CancelledWaiterIsNotWoken) {
  auto a = notifier_.make_signal();
  std::atomic<int> kept{0}, cancelled{0};
  wait(1, {a}, &kept);
  uint64_t id = wait(1, {a}, &cancelled);
  on(1, [&] { notifier_.cancel(1, id); return 0; });
  on(0, [&] { notifier_.data_arrived(a); return 0; });
  drain();
  EXPECT_EQ(kept, 1);
  EXPECT_EQ(cancelled, 0);
}

TEST_F(DataNotifierTest, PartitionListedTwiceIsWokenOnce) {
  auto a = notifier_.make_signal();
  std::atomic<int> woken{0};
  wait(1, {a, a}, &woken);
  on(0, [&] { notifier_.data_arrived(a); return 0; });
  drain();
  EXPECT_EQ(woken, 1);
}

// Rounds of one append on shard 0 racing one reader on shard 1 that notes
// the generation, reads, spends a while (a real fetch hops to the partition's
// shard and back) and then waits: the reader must see every round's append,
// which a wake-up lost between its read and its wait would prevent.
TEST_F(DataNotifierTest, NoWakeUpIsLostWhenDataArrivesDuringTheRead) {
  constexpr int kRounds = 2000;
  auto a = notifier_.make_signal();
  std::atomic<int> appended{0};
  for (int round = 1; round <= kRounds; ++round) {
    std::promise<void> seen;
    std::function<void()> read = [&] {
      for (;;) {  // again at once while the wait is refused: data arrived since the read
        uint64_t generation = a->generation();
        if (appended.load() == round) return seen.set_value();
        // A busy pause of varying length the compiler keeps.
        for (int spin = 0; spin < (round % 100) * 200; ++spin) asm volatile("");
        if (notifier_.wait(1, {{a, generation}}, [&] { read(); })) return;
      }
    };
    shards_.post(1, [&] { read(); });
    shards_.post(0, [&] {
      appended.fetch_add(1);
      notifier_.data_arrived(a);
    });
    ASSERT_EQ(seen.get_future().wait_for(5s), std::future_status::ready) << "round " << round;
    drain();  // shard 1 is out of read() before it goes out of scope
  }
}

}  // namespace
}  // namespace freshet::server
