#include "coordinator/deadline_queue.h"

namespace freshet::coordinator {

void DeadlineQueue::schedule(TimerKey key, int64_t deadline_ms) {
  cancel(key);
  by_deadline_.emplace(deadline_ms, key);
  deadline_of_.emplace(std::move(key), deadline_ms);
}

void DeadlineQueue::cancel(const TimerKey& key) {
  auto it = deadline_of_.find(key);
  if (it == deadline_of_.end()) return;
  by_deadline_.erase({it->second, key});
  deadline_of_.erase(it);
}

void DeadlineQueue::cancel_partition(int32_t partition) {
  auto it = deadline_of_.lower_bound(TimerKey{partition, TimerKind::kSession, {}, {}});
  while (it != deadline_of_.end() && it->first.partition == partition) {
    by_deadline_.erase({it->second, it->first});
    it = deadline_of_.erase(it);
  }
}

std::optional<int64_t> DeadlineQueue::next_deadline_ms() const {
  if (by_deadline_.empty()) return std::nullopt;
  return by_deadline_.begin()->first;
}

std::optional<TimerKey> DeadlineQueue::pop_due(int64_t now_ms) {
  if (by_deadline_.empty() || by_deadline_.begin()->first > now_ms) return std::nullopt;
  TimerKey key = by_deadline_.begin()->second;
  by_deadline_.erase(by_deadline_.begin());
  deadline_of_.erase(key);
  return key;
}

}  // namespace freshet::coordinator
