// Wakes long-polling Fetch requests when data arrives on a partition they
// wait on, and only those.
//
// Every partition has a DataSignal: a generation that its owner shard bumps
// after each append, and per shard the number of fetches on that shard that
// wait on it. A fetch notes the generation of each partition it reads (on the
// owner shard, before the read), then registers one waiter on its own shard
// for all of them. wait() refuses (the fetch re-reads) when a generation has
// moved since it was noted; otherwise `wake` runs once, on the fetch's shard,
// after the next append to any of its partitions. An append posts only to the
// shards that have waiters on that partition (one post per shard until it has
// run), and the post wakes only the waiters of that partition.
//
// No wake-up is lost: wait() raises its shard's count and then reads the
// generation; data_arrived() bumps the generation and then reads the counts
// (all sequentially consistent), so at least one side sees the other.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "net/shard.h"

namespace freshet::server {

class DataSignal {
 public:
  explicit DataSignal(unsigned shard_count) : shards_(shard_count) {}
  DataSignal(const DataSignal&) = delete;
  DataSignal& operator=(const DataSignal&) = delete;

  // Counts the appends so far; any thread.
  uint64_t generation() const { return generation_.load(); }

 private:
  friend class DataNotifier;
  struct PerShard {
    std::atomic<uint32_t> waiting{0};  // changed only on that shard, read by the owner
    std::atomic<bool> wake_posted{false};
  };
  std::atomic<uint64_t> generation_{0};
  std::vector<PerShard> shards_;
};

class DataNotifier {
 public:
  explicit DataNotifier(net::ShardSet& shards);

  // A signal for a new partition.
  std::shared_ptr<DataSignal> make_signal() const { return std::make_shared<DataSignal>(shards_.size()); }

  // On the partition's owner shard, after making new data readable.
  void data_arrived(const std::shared_ptr<DataSignal>& signal);

  // A partition a fetch waits on, with its generation when the fetch read it.
  struct Watch {
    std::shared_ptr<DataSignal> signal;
    uint64_t generation = 0;
  };
  // On `shard`'s thread. Registers `wake` to run once, on that thread, after
  // data arrives on any watched partition, and returns its id; returns
  // nullopt and registers nothing if data arrived since a watch's generation.
  std::optional<uint64_t> wait(unsigned shard, std::vector<Watch> watches, std::function<void()> wake);
  // On `shard`'s thread; an id already woken is ignored.
  void cancel(unsigned shard, uint64_t id);

 private:
  struct Waiter {
    std::function<void()> wake;
    std::vector<std::shared_ptr<DataSignal>> signals;
  };
  // Touched only on its shard.
  struct ShardWaiters {
    std::unordered_map<uint64_t, Waiter> waiters;
    std::unordered_map<const DataSignal*, std::unordered_set<uint64_t>> by_signal;
    uint64_t next_id = 0;
  };

  // On `shard`'s thread: wakes that shard's waiters of `signal`.
  void wake(unsigned shard, const std::shared_ptr<DataSignal>& signal);
  // Unregisters waiter `id` from every signal; returns its wake function.
  std::function<void()> remove(unsigned shard, uint64_t id);

  net::ShardSet& shards_;
  std::vector<std::unique_ptr<ShardWaiters>> per_shard_;
};

}  // namespace freshet::server
