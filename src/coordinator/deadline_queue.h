// Every timeout of the coordinator, one deadline per key, ordered by time.
// Scheduling a key again replaces its deadline; the earliest deadline is
// always at hand, so next_deadline_ms() costs O(1).
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

namespace freshet::coordinator {

enum class TimerKind : uint8_t {
  kSession,           // a member's (or pending member's) heartbeat deadline
  kJoinPhase,         // the end of a group's join phase (or initial delay)
  kPendingSync,       // members must have sent SyncGroup by then
  kOffsetsRetention,  // the periodic expiry check of a partition's offsets
};

struct TimerKey {
  int32_t partition = 0;  // the __consumer_offsets partition
  TimerKind kind = TimerKind::kSession;
  std::string group_id;   // empty for kOffsetsRetention
  std::string member_id;  // only for kSession
  friend auto operator<=>(const TimerKey&, const TimerKey&) = default;
};

class DeadlineQueue {
 public:
  void schedule(TimerKey key, int64_t deadline_ms);
  void cancel(const TimerKey& key);
  // Cancels every timer of `partition`.
  void cancel_partition(int32_t partition);
  std::optional<int64_t> next_deadline_ms() const;
  // Removes and returns the earliest timer due at `now_ms`, if any.
  std::optional<TimerKey> pop_due(int64_t now_ms);
  size_t size() const { return deadline_of_.size(); }

 private:
  std::set<std::pair<int64_t, TimerKey>> by_deadline_;
  std::map<TimerKey, int64_t> deadline_of_;
};

}  // namespace freshet::coordinator
