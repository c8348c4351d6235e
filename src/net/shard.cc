#include "net/shard.h"

#include <asio/executor_work_guard.hpp>
#include <spdlog/spdlog.h>

namespace freshet::net {

namespace {
thread_local unsigned current_shard = ShardSet::kNoShard;
}

ShardSet::ShardSet(unsigned count) {
  for (unsigned i = 0; i <= count; ++i) contexts_.push_back(std::make_unique<asio::io_context>(1));
}

ShardSet::~ShardSet() { stop(); }

unsigned ShardSet::current() { return current_shard; }

void ShardSet::start() {
  for (unsigned i = 0; i < contexts_.size(); ++i) {
    threads_.emplace_back([this, i] {
      current_shard = i;
      auto guard = asio::make_work_guard(*contexts_[i]);
      // A task that throws costs that task (whatever it held is released
      // as the exception unwinds: a request it carried closes its
      // connection), never the shard; run() resumes with the next task.
      for (;;) {
        try {
          contexts_[i]->run();
          return;
        } catch (const std::exception& e) {
          spdlog::error("shard {}: a task failed and was dropped: {}", i, e.what());
        } catch (...) {
          spdlog::error("shard {}: a task failed and was dropped (non-standard exception)", i);
        }
      }
    });
  }
}

void ShardSet::stop() {
  for (auto& ctx : contexts_) ctx->stop();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

}  // namespace freshet::net
