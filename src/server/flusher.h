// Group commit: a blocking thread per shard that fdatasyncs files off the
// reactor. Jobs queued while a sync round runs are merged into the next
// round, and a file named by several jobs is synced once per round, so one
// fdatasync covers every batch appended meanwhile by every producer.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "net/shard.h"
#include "storage/file_handle.h"

namespace freshet::server {

class Flusher {
 public:
  Flusher(net::ShardSet& shards, unsigned shard);
  ~Flusher();
  Flusher(const Flusher&) = delete;
  Flusher& operator=(const Flusher&) = delete;

  // Any thread. Syncs `files`, then runs done(ok) on the owning shard.
  void flush(std::vector<std::shared_ptr<storage::FileHandle>> files, std::function<void(bool ok)> done);

 private:
  struct Job {
    std::vector<std::shared_ptr<storage::FileHandle>> files;
    std::function<void(bool)> done;
  };
  void run();

  net::ShardSet& shards_;
  unsigned shard_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Job> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace freshet::server
