// The per-partition view of a consumer group that `freshet group describe` prints, like
// kafka-consumer-groups --describe: committed offset, log end offset, lag and owning member.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/admin.h"

namespace freshet::cli {

struct PartitionLag {
  TopicPartition partition;
  std::optional<int64_t> committed_offset;  // nullopt: the group has committed nothing here
  std::optional<int64_t> log_end_offset;    // the high watermark; nullopt: unknown
  // The member the partition is assigned to; empty strings when no member owns it.
  std::string member_id;
  std::string client_id;
  std::string host;

  // log end - committed, when both are known.
  std::optional<int64_t> lag() const;
};

// Every partition assigned to one of `members` or with an offset in `committed` (failed or
// negative entries count as nothing committed), sorted by topic and partition, with its
// committed offset and owner. The log end offsets are left unknown for the caller to fill in.
std::vector<PartitionLag> group_partitions(const std::vector<GroupMember>& members,
                                           const std::vector<PartitionOffset>& committed);

// A member's assignment for a table cell: "orders:0,1;payments:2" (sorted input), "-" if empty.
std::string format_assignment(const std::vector<TopicPartition>& assignment);

// An aligned table of `rows`: TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG MEMBER-ID HOST
// CLIENT-ID, with "-" for every unknown or absent value.
std::string render_lag_table(const std::vector<PartitionLag>& rows);

}  // namespace freshet::cli
