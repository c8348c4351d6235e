// What the group and transaction coordinators' test harnesses share: stores
// whose appends wait until the test completes them, and moving time forward.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

#include "coordinator/stored_record.h"
#include "protocol/errors.h"

namespace freshet::coordinator::testing {

// Appends wait in `pending` until the test completes them
// (complete_next()/complete_all()); durable records are kept in `log`, in
// order, as the partition log would hold them. `Append` has at least
// `partition`, `records` and `done(ErrorCode)`.
template <typename Append>
class PendingAppends {
 public:
  // Completes the oldest append; its records become durable on success.
  void complete_next(protocol::ErrorCode error = protocol::ErrorCode::None) {
    ASSERT_FALSE(pending.empty());
    Append append = std::move(pending.front());
    pending.pop_front();
    if (error == protocol::ErrorCode::None) {
      for (auto& record : append.records) log.push_back({append.partition, std::move(record)});
    }
    append.done(error);
  }
  void complete_all() {
    while (!pending.empty()) complete_next();
  }

  std::deque<Append> pending;
  std::vector<std::pair<int32_t, StoredRecord>> log;
};

// Moves `now_ms` forward by `ms`, firing every deadline of `coordinator` on
// the way at its own time.
template <typename Coordinator>
void run_deadlines(Coordinator& coordinator, int64_t& now_ms, int64_t ms) {
  const int64_t target = now_ms + ms;
  while (auto deadline = coordinator.next_deadline_ms()) {
    if (*deadline > target) break;
    now_ms = std::max(now_ms, *deadline);
    coordinator.advance(now_ms);
  }
  now_ms = target;
  coordinator.advance(now_ms);
}

}  // namespace freshet::coordinator::testing
