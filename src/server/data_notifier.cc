#include "server/data_notifier.h"

#include <cassert>

namespace freshet::server {

DataNotifier::DataNotifier(net::ShardSet& shards) : shards_(shards) {
  for (unsigned i = 0; i < shards.size(); ++i) per_shard_.push_back(std::make_unique<ShardWaiters>());
}

void DataNotifier::data_arrived(const std::shared_ptr<DataSignal>& signal) {
  signal->generation_.fetch_add(1);
  for (unsigned shard = 0; shard < signal->shards_.size(); ++shard) {
    DataSignal::PerShard& s = signal->shards_[shard];
    if (s.waiting.load() == 0) continue;
    // A post already on its way wakes every waiter registered before it runs;
    // a waiter registering later sees this generation.
    if (!s.wake_posted.exchange(true)) shards_.post(shard, [this, shard, signal] { wake(shard, signal); });
  }
}

void DataNotifier::wake(unsigned shard, const std::shared_ptr<DataSignal>& signal) {
  signal->shards_[shard].wake_posted.store(false);
  ShardWaiters& s = *per_shard_[shard];
  auto it = s.by_signal.find(signal.get());
  if (it == s.by_signal.end()) return;
  std::unordered_set<uint64_t> ids = it->second;
  std::vector<std::function<void()>> wakes;
  for (uint64_t id : ids) wakes.push_back(remove(shard, id));
  for (auto& w : wakes) w();
}

std::optional<uint64_t> DataNotifier::wait(unsigned shard, std::vector<Watch> watches, std::function<void()> wake) {
  ShardWaiters& s = *per_shard_[shard];
  uint64_t id = s.next_id++;
  Waiter waiter{std::move(wake), {}};
  for (auto& watch : watches) {
    assert(watch.signal);
    if (!s.by_signal[watch.signal.get()].insert(id).second) continue;  // listed twice
    watch.signal->shards_[shard].waiting.fetch_add(1);
    waiter.signals.push_back(watch.signal);
  }
  s.waiters.emplace(id, std::move(waiter));
  for (const auto& watch : watches) {
    if (watch.signal->generation() != watch.generation) {
      remove(shard, id);
      return std::nullopt;
    }
  }
  return id;
}

void DataNotifier::cancel(unsigned shard, uint64_t id) { remove(shard, id); }

std::function<void()> DataNotifier::remove(unsigned shard, uint64_t id) {
  ShardWaiters& s = *per_shard_[shard];
  auto it = s.waiters.find(id);
  if (it == s.waiters.end()) return {};
  Waiter waiter = std::move(it->second);
  s.waiters.erase(it);
  for (const auto& signal : waiter.signals) {
    signal->shards_[shard].waiting.fetch_sub(1);
    auto ids = s.by_signal.find(signal.get());
    ids->second.erase(id);
    if (ids->second.empty()) s.by_signal.erase(ids);
  }
  return std::move(waiter.wake);
}

}  // namespace freshet::server
