// Group commit: a blocking thread per shard that fdatasyncs files off the
// reactor. Jobs queued while a sync round runs are merged into the next
// round, and a file named by several jobs is synced once per round, so one
// fdatasync covers every batch appended meanwhile by every producer. The
// same thread runs the shard's other blocking file work (run()).
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
  // Any thread. Runs `task` on the flusher's thread, after the sync round
  // under way (removing deleted segments' files, writing checkpoints); an
  // exception it throws is logged. Tasks still queued at destruction run.
  void run(std::function<void()> task);
  // Blocks until every sync and task queued so far is done (shutdown, before
  // the final checkpoints, so that no periodic one lands after them).
  void drain();

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
  std::condition_variable idle_;
  bool busy_ = false;  // a round is being worked on
  std::vector<Job> queue_;
  std::vector<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace freshet::server
