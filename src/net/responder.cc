#include "net/responder.h"

#include <atomic>

#include "net/shard.h"

namespace freshet::net {

struct Responder::Pending {
  Deliver deliver;
  Fail on_failure;
  std::atomic<bool> answered{false};
  ~Pending() {
    if (!answered.load() && ShardSet::current() != ShardSet::kNoShard)
      on_failure("a request was dropped without an answer");
  }
};

Responder::Responder(Deliver deliver, Fail fail)
    : pending_(std::make_shared<Pending>(std::move(deliver), std::move(fail))) {}

void Responder::operator()(ResponseBytes bytes) const {
  if (pending_->answered.exchange(true)) return;
  pending_->deliver(std::move(bytes));
}

void Responder::fail(const std::string& reason) const {
  if (pending_->answered.exchange(true)) return;
  pending_->on_failure(reason);
}

}  // namespace freshet::net
