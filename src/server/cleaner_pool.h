// The log cleaner's threads (log.cleaner.threads, Kafka's LogCleaner):
// cleanings the shards plan run here, off the reactors, the dirtiest first,
// each thread with its own offset map (its share of
// log.cleaner.dedupe.buffer.size, sized down to what a job can use) and I/O
// throttle (its share of log.cleaner.io.max.bytes.per.second). A job's
// outcome goes back to the shard that submitted it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cluster/broker_config.h"
#include "net/shard.h"
#include "storage/log_cleaner.h"

namespace freshet::server {

// A cleaning's outcome: the job, and its result or why there is none.
struct CleaningOutcome {
  storage::CleaningJob job;
  std::optional<storage::CleaningResult> result;
  std::string error;  // when no result: empty if stopped, else what failed
};

class CleanerPool {
 public:
  using Done = std::function<void(CleaningOutcome)>;
  // Jobs waiting at most; a shard whose job is refused plans it again later.
  static constexpr size_t kMaxQueuedJobs = 1024;

  CleanerPool(net::ShardSet& shards, const cluster::BrokerConfig& config);
  ~CleanerPool();
  CleanerPool(const CleanerPool&) = delete;
  CleanerPool& operator=(const CleanerPool&) = delete;

  // Any thread. Queues `job`; done(outcome) later runs on `shard` (and
  // never after stop() returned). False when the queue is full.
  bool submit(unsigned shard, storage::CleaningJob job, Done done);
  // Aborts running cleanings, drops queued ones, joins the threads.
  void stop();

 private:
  struct Queued {
    unsigned shard;
    storage::CleaningJob job;
    Done done;
  };
  void run(size_t thread);

  net::ShardSet& shards_;
  size_t map_bytes_per_thread_;
  double load_factor_;
  size_t io_buffer_bytes_;
  double io_bytes_per_second_per_thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Queued> queue_;  // popped dirtiest first
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> threads_;
};

}  // namespace freshet::server
