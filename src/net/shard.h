// Shard-per-core execution: a fixed set of reactor threads, each running one
// asio::io_context. State owned by a shard (its partitions, its connections)
// is touched only from that shard's thread, so the data path takes no locks.
// Cross-shard work is message passing: `submit` runs a function on the owner
// shard and delivers its result back on the caller's shard. A task that
// throws is logged and dropped; the shard goes on with the next.
// Besides the data shards there is one control shard: a reactor that owns no
// connections and no partitions, for the cluster's control plane (the
// metadata quorum, its fsyncs and the controller), so that neither stalls
// the other: a shard busy opening partitions never delays a vote or a
// heartbeat, and an fsync of the metadata log never delays a client.
#pragma once

#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <memory>
#include <thread>
#include <utility>
#include <vector>

namespace freshet::net {

class ShardSet {
 public:
  // `count` data shards, plus the control shard.
  explicit ShardSet(unsigned count);
  ~ShardSet();
  ShardSet(const ShardSet&) = delete;
  ShardSet& operator=(const ShardSet&) = delete;

  // The number of data shards (0 .. size()-1).
  unsigned size() const { return static_cast<unsigned>(contexts_.size()) - 1; }
  // The control shard's index (after the data shards).
  unsigned control_shard() const { return size(); }
  asio::io_context& context(unsigned shard) { return *contexts_[shard]; }

  static constexpr unsigned kNoShard = ~0u;
  // Index of the shard whose thread is calling, or kNoShard from any other thread.
  static unsigned current();

  // Starts one thread per shard, the control shard's too; returns immediately.
  void start();
  // Stops every reactor (pending handlers are dropped) and joins the threads.
  void stop();

  // Runs fn() on `shard`'s thread.
  template <typename Fn>
  void post(unsigned shard, Fn&& fn) {
    asio::post(*contexts_[shard], std::forward<Fn>(fn));
  }

  // Runs fn() on `target`, then done(result) on the calling shard. Must be
  // called from a shard thread. `done` always runs asynchronously.
  template <typename Fn, typename Done>
  void submit(unsigned target, Fn fn, Done done) {
    unsigned origin = current();
    post(target, [this, origin, fn = std::move(fn), done = std::move(done)]() mutable {
      auto result = fn();
      post(origin, [done = std::move(done), result = std::move(result)]() mutable { done(std::move(result)); });
    });
  }

  // Like submit, for work that completes later: fn(reply) runs on `target`
  // and must call reply(result) exactly once, on `target`.
  template <typename Result, typename Fn, typename Done>
  void submit_async(unsigned target, Fn fn, Done done) {
    unsigned origin = current();
    post(target, [this, origin, fn = std::move(fn), done = std::move(done)]() mutable {
      fn([this, origin, done = std::move(done)](Result result) mutable {
        post(origin, [done = std::move(done), result = std::move(result)]() mutable { done(std::move(result)); });
      });
    });
  }

 private:
  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::vector<std::thread> threads_;
};

}  // namespace freshet::net
