// Splitting a request's partitions by owner shard and joining the answers.
// Each Item carries its inputs and, after the owner shard ran, its outputs;
// `run(shard, items, reply)` executes on that shard and must call
// reply(items) exactly once (possibly later, e.g. after an fsync). `merge`
// then sees each shard's items on the caller's shard, and `done` runs once
// all shards have answered (at once when there is no work).
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "net/shard.h"

namespace freshet::server {

template <typename Item>
using ShardRun = std::function<void(unsigned shard, std::vector<Item> items, std::function<void(std::vector<Item>)> reply)>;

template <typename Item>
void fan_out(net::ShardSet& shards, std::vector<std::vector<Item>> by_shard, ShardRun<Item> run,
             std::function<void(std::vector<Item>&)> merge, std::function<void()> done) {
  auto remaining = std::make_shared<size_t>(0);
  for (const auto& items : by_shard) *remaining += items.empty() ? 0 : 1;
  if (*remaining == 0) return done();
  auto shared_run = std::make_shared<ShardRun<Item>>(std::move(run));
  for (unsigned shard = 0; shard < by_shard.size(); ++shard) {
    if (by_shard[shard].empty()) continue;
    shards.submit_async<std::vector<Item>>(
        shard,
        [shard, shared_run, items = std::move(by_shard[shard])](std::function<void(std::vector<Item>)> reply) mutable {
          (*shared_run)(shard, std::move(items), std::move(reply));
        },
        [remaining, merge, done](std::vector<Item> items) {
          merge(items);
          if (--*remaining == 0) done();
        });
  }
}

}  // namespace freshet::server
