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

void Flusher::run(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    tasks_.push_back(std::move(task));
  }
  wake_.notify_one();
}

void Flusher::drain() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return queue_.empty() && tasks_.empty() && !busy_; });
}

void Flusher::run() {
  for (;;) {
    std::vector<Job> round;
    std::vector<std::function<void()>> tasks;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty() || !tasks_.empty(); });
      if (queue_.empty() && tasks_.empty()) return;  // stopping with nothing left
      round.swap(queue_);
      tasks.swap(tasks_);
      busy_ = true;
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
    for (auto& task : tasks) {
      try {
        task();
      } catch (const std::exception& e) {
        spdlog::error("background file work failed: {}", e.what());
      }
    }
    {
      std::lock_guard lock(mutex_);
      busy_ = false;
    }
    idle_.notify_all();
  }
}

}  // namespace freshet::server
