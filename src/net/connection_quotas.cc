#include "net/connection_quotas.h"

#include <cassert>

namespace freshet::net {

bool ConnectionQuotas::try_open(const std::string& ip) {
  std::lock_guard lock(mutex_);
  int64_t& from_ip = per_ip_[ip];
  if (from_ip >= limits_.max_connections_per_ip) {
    if (from_ip == 0) per_ip_.erase(ip);
    return false;
  }
  ++from_ip;
  ++open_;
  return true;
}

void ConnectionQuotas::closed(const std::string& ip) {
  std::vector<std::function<void()>> woken;
  {
    std::lock_guard lock(mutex_);
    auto it = per_ip_.find(ip);
    assert(it != per_ip_.end() && it->second > 0 && open_ > 0);
    if (--it->second == 0) per_ip_.erase(it);
    --open_;
    if (open_ < limits_.max_connections) woken.swap(waiters_);
  }
  for (auto& wake : woken) wake();
}

void ConnectionQuotas::when_below_max(std::function<void()> wake) {
  {
    std::lock_guard lock(mutex_);
    if (open_ >= limits_.max_connections) {
      waiters_.push_back(std::move(wake));
      return;
    }
  }
  wake();
}

int64_t ConnectionQuotas::open_connections() const {
  std::lock_guard lock(mutex_);
  return open_;
}

}  // namespace freshet::net
