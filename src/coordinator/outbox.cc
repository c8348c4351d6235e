#include "coordinator/outbox.h"

namespace freshet::coordinator {

void Outbox::flush() {
  if (flushing_) return;
  flushing_ = true;
  while (!queue_.empty()) {
    auto answer = std::move(queue_.front());
    queue_.pop_front();
    answer();
  }
  flushing_ = false;
}

}  // namespace freshet::coordinator
