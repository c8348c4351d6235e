// Answers waiting to be handed to callers. The coordinator never runs a
// caller's callback while it is changing state: it posts the call here and
// runs the queue once the state is consistent again, on its way out of a
// public call. Callbacks may call back into the coordinator.
#pragma once

#include <deque>
#include <functional>

namespace freshet::coordinator {

class Outbox {
 public:
  void post(std::function<void()> answer) { queue_.push_back(std::move(answer)); }
  // Runs every posted answer, including those posted meanwhile. A nested
  // flush (from a callback re-entering the coordinator) leaves the work to
  // the outer one.
  void flush();

 private:
  std::deque<std::function<void()>> queue_;
  bool flushing_ = false;
};

}  // namespace freshet::coordinator
