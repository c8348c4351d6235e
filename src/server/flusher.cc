#include "server/flusher.h"

#include <spdlog/spdlog.h>

#include <set>

namespace freshet::server {

Flusher::Flusher(net::ShardSet& shards, unsigned shard) : shards_(shards), shard_(shard), thread_([this] { run(); }) {}

Flusher::~Flusher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void Flusher::flush(std::vector<std::shared_ptr<storage::FileHandle>> files, std::function<void(bool)> done) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back({std::move(files), std::move(done)});
  }
  wake_.notify_one();
}

void Flusher::run() {
  for (;;) {
    std::vector<Job> round;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping with nothing left
      round.swap(queue_);
    }
    std::set<storage::FileHandle*> synced;
    bool ok = true;
    for (auto& job : round) {
      for (auto& file : job.files) {
        if (!synced.insert(file.get()).second) continue;
        try {
          file->sync();
        } catch (const std::exception& e) {
          spdlog::error("fdatasync failed: {}", e.what());
          ok = false;
        }
      }
    }
    for (auto& job : round) shards_.post(shard_, [done = std::move(job.done), ok] { done(ok); });
  }
}

}  // namespace freshet::server
