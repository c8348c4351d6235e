#include "server/data_notifier.h"

namespace freshet::server {

DataNotifier::DataNotifier(net::ShardSet& shards) : shards_(shards) {
  for (unsigned i = 0; i < shards.size(); ++i) per_shard_.push_back(std::make_unique<ShardWaiters>());
}

void DataNotifier::data_arrived() {
  generation_.fetch_add(1);
  for (unsigned shard = 0; shard < per_shard_.size(); ++shard) {
    // Skipping a shard with no waiter loses no wake-up: a waiter registering
    // concurrently sees the new generation (both sides are seq_cst).
    if (per_shard_[shard]->waiting.load() == 0) continue;
    if (!per_shard_[shard]->wake_pending.exchange(true, std::memory_order_acq_rel))
      shards_.post(shard, [this, shard] { wake_all(shard); });
  }
}

void DataNotifier::wake_all(unsigned shard) {
  ShardWaiters& s = *per_shard_[shard];
  s.wake_pending.store(false, std::memory_order_release);
  auto waiters = std::move(s.waiters);
  s.waiters.clear();
  s.waiting.store(0, std::memory_order_release);
  for (auto& [id, wake] : waiters) wake();
}

uint64_t DataNotifier::wait(unsigned shard, std::function<void()> wake) {
  ShardWaiters& s = *per_shard_[shard];
  uint64_t id = s.next_id++;
  s.waiters.emplace(id, std::move(wake));
  s.waiting.store(s.waiters.size());
  return id;
}

void DataNotifier::cancel(unsigned shard, uint64_t id) {
  ShardWaiters& s = *per_shard_[shard];
  s.waiters.erase(id);
  s.waiting.store(s.waiters.size(), std::memory_order_release);
}

}  // namespace freshet::server
