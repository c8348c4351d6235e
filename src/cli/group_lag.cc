#include "cli/group_lag.h"

#include <map>

#include "cli/table.h"

namespace freshet::cli {
namespace {

std::string cell(const std::optional<int64_t>& value) {
  return value ? std::to_string(*value) : "-";
}

std::string cell(const std::string& value) { return value.empty() ? "-" : value; }

}  // namespace

std::optional<int64_t> PartitionLag::lag() const {
  if (!committed_offset || !log_end_offset) return std::nullopt;
  return *log_end_offset - *committed_offset;
}

std::vector<PartitionLag> group_partitions(const std::vector<GroupMember>& members,
                                           const std::vector<PartitionOffset>& committed) {
  std::map<TopicPartition, PartitionLag> rows;
  const auto row = [&](const TopicPartition& partition) -> PartitionLag& {
    PartitionLag& entry = rows[partition];
    entry.partition = partition;
    return entry;
  };
  for (const GroupMember& member : members) {
    for (const TopicPartition& partition : member.assignment) {
      PartitionLag& entry = row(partition);
      entry.member_id = member.member_id;
      entry.client_id = member.client_id;
      entry.host = member.host;
    }
  }
  for (const PartitionOffset& offset : committed) {
    if (offset.error != RD_KAFKA_RESP_ERR_NO_ERROR || offset.offset < 0) continue;
    row(offset.partition).committed_offset = offset.offset;
  }
  std::vector<PartitionLag> sorted;
  for (auto& [partition, entry] : rows) sorted.push_back(std::move(entry));
  return sorted;
}

std::string format_assignment(const std::vector<TopicPartition>& assignment) {
  if (assignment.empty()) return "-";
  std::string out;
  for (size_t i = 0; i < assignment.size(); ++i) {
    const TopicPartition& partition = assignment[i];
    if (i > 0 && partition.topic == assignment[i - 1].topic) {
      out += ',';
    } else {
      if (i > 0) out += ';';
      out += partition.topic;
      out += ':';
    }
    out += std::to_string(partition.partition);
  }
  return out;
}

std::string render_lag_table(const std::vector<PartitionLag>& rows) {
  Table table({"TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "MEMBER-ID",
               "HOST", "CLIENT-ID"});
  for (const PartitionLag& row : rows) {
    table.add_row({row.partition.topic, std::to_string(row.partition.partition),
                   cell(row.committed_offset), cell(row.log_end_offset), cell(row.lag()),
                   cell(row.member_id), cell(row.host), cell(row.client_id)});
  }
  return table.render();
}

}  // namespace freshet::cli
