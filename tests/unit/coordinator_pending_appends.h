// What the coordinators' test stores share: appends wait in `pending` until
// the test completes them (complete_next()/complete_all()); durable records
// are kept in `log`, in order, as the partition log would hold them.
// `Append` has at least `partition`, `records` and `done(ErrorCode)`.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <utility>
#include <vector>

#include "coordinator/stored_record.h"
#include "protocol/errors.h"

namespace freshet::coordinator::testing {

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

}  // namespace freshet::coordinator::testing
