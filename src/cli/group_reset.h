// The pure parts of `freshet group seek`: what the user asked for (--to, --topic) and the new
// committed offset of each partition, with Kafka's kafka-consumer-groups --reset-offsets rules.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/admin.h"

namespace freshet::cli {

// --to: where the group's offsets move.
struct ResetTarget {
  enum class Kind {
    kEarliest,   // "earliest": the log start offset
    kLatest,     // "latest": the log end offset (high watermark)
    kOffset,     // "N": offset N, clamped into the log's range
    kTimestamp,  // "@MS": the first record with timestamp >= MS (ms since the epoch)
  };
  Kind kind = Kind::kLatest;
  int64_t value = 0;  // the offset or the timestamp, per kind

  // Parses the forms above; throws CommandError on anything else.
  static ResetTarget parse(std::string_view text);
};

// --topic: "TOPIC" (every partition) or "TOPIC:P,P,..." (those partitions).
struct TopicSelection {
  std::string topic;
  std::vector<int32_t> partitions;  // sorted and unique; empty: every partition

  // Throws CommandError on a malformed selection.
  static TopicSelection parse(std::string_view text);
};

// The new committed offset of a partition whose log holds offsets [log_start_offset,
// log_end_offset). `timestamp_offset` is the ListOffsets answer for a kTimestamp target (-1: no
// record at or after the timestamp, which resets to the log end, as Kafka does).
int64_t reset_offset(const ResetTarget& target, int64_t log_start_offset, int64_t log_end_offset,
                     int64_t timestamp_offset);

// Throws CommandError unless `group` may have its offsets reset: described without error and
// without members (Empty, or Dead: unknown to the coordinator), like Kafka's tool requires.
void require_inactive(const GroupDescription& group);

}  // namespace freshet::cli
