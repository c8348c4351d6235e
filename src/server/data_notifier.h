// Wakes long-polling Fetch requests when data arrives. A fetch waiting on a
// shard registers a one-shot waiter there; any append on any shard wakes all
// waiters of every shard (one coalesced post per shard), and each woken fetch
// re-reads its partitions and waits again if it still lacks min_bytes.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "net/shard.h"

namespace freshet::server {

class DataNotifier {
 public:
  explicit DataNotifier(net::ShardSet& shards);

  // Any shard thread, after making new data readable.
  void data_arrived();
  // Counts data_arrived() calls. A fetch notes it before reading and, after
  // registering its waiter, re-reads at once if it moved: data that arrived
  // in between would otherwise wake nobody.
  uint64_t generation() const { return generation_.load(); }
  // On `shard`'s thread. `wake` runs once, on that thread, unless cancelled.
  uint64_t wait(unsigned shard, std::function<void()> wake);
  void cancel(unsigned shard, uint64_t id);

 private:
  struct ShardWaiters {
    std::atomic<bool> wake_pending{false};
    std::atomic<size_t> waiting{0};  // waiters.size(), readable from any shard
    std::map<uint64_t, std::function<void()>> waiters;  // touched only on the shard
    uint64_t next_id = 0;
  };

  void wake_all(unsigned shard);

  net::ShardSet& shards_;
  std::vector<std::unique_ptr<ShardWaiters>> per_shard_;
  std::atomic<uint64_t> generation_{0};
};

}  // namespace freshet::server
