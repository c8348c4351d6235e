#include "server/cleaner_pool.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "server/clock.h"
#include "storage/io_throttle.h"

namespace freshet::server {

CleanerPool::CleanerPool(net::ShardSet& shards, const cluster::BrokerConfig& config)
    : shards_(shards),
      load_factor_(config.get_double("log.cleaner.io.buffer.load.factor")),
      io_buffer_bytes_(static_cast<size_t>(config.get_int("log.cleaner.io.buffer.size"))) {
  const auto threads = static_cast<size_t>(std::max<int64_t>(config.get_int("log.cleaner.threads"), 1));
  map_bytes_per_thread_ = static_cast<size_t>(config.get_int("log.cleaner.dedupe.buffer.size")) / threads;
  io_bytes_per_second_per_thread_ = config.get_double("log.cleaner.io.max.bytes.per.second") / static_cast<double>(threads);
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this, i] { run(i); });
}

CleanerPool::~CleanerPool() { stop(); }

bool CleanerPool::submit(unsigned shard, storage::CleaningJob job, Done done) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= kMaxQueuedJobs) return false;
    queue_.push_back({shard, std::move(job), std::move(done)});
  }
  wake_.notify_one();
  return true;
}

void CleanerPool::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    queue_.clear();
  }
  wake_.notify_all();
  for (auto& thread : threads_) thread.join();
  threads_.clear();
}

void CleanerPool::run(size_t thread) {
  storage::IoThrottle throttle(io_bytes_per_second_per_thread_);
  for (;;) {
    Queued next;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      auto dirtiest = std::max_element(queue_.begin(), queue_.end(), [](const Queued& a, const Queued& b) {
        return a.job.dirty_ratio < b.job.dirty_ratio;
      });
      next = std::move(*dirtiest);
      queue_.erase(dirtiest);
    }
    CleaningOutcome outcome;
    const storage::CleaningJob& job = next.job;
    const auto started = std::chrono::steady_clock::now();
    try {
      // The map lives as long as the job: an idle cleaner holds no memory.
      storage::OffsetMap map(storage::offset_map_bytes_for(job, map_bytes_per_thread_, load_factor_), load_factor_);
      outcome.result = storage::clean_log(job, {&map, &throttle, &stopping_, io_buffer_bytes_}, now_ms());
    } catch (const storage::CleaningStopped&) {
    } catch (const std::exception& e) {
      outcome.error = e.what();
    }
    if (outcome.result) {
      const auto& stats = outcome.result->stats;
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      spdlog::info("cleaner {}: cleaned {} up to offset {} in {:.3f} s: {} keys mapped, {} -> {} bytes, {:.1f} MB/s",
                   thread, job.dir.filename().string(), outcome.result->cleaned_to_offset, seconds,
                   stats.keys_mapped, stats.bytes_read, stats.bytes_written,
                   static_cast<double>(stats.bytes_read) / std::max(seconds, 1e-9) / 1e6);
    }
    outcome.job = std::move(next.job);
    shards_.post(next.shard, [done = std::move(next.done), outcome = std::move(outcome)]() mutable {
      done(std::move(outcome));
    });
  }
}

}  // namespace freshet::server
