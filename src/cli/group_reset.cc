#include "cli/group_reset.h"

#include <fmt/core.h>

#include <algorithm>

#include "cli/errors.h"
#include "cli/parse_number.h"
#include "cli/group_errors.h"

namespace freshet::cli {

ResetTarget ResetTarget::parse(std::string_view text) {
  if (text == "earliest") return {Kind::kEarliest, 0};
  if (text == "latest") return {Kind::kLatest, 0};
  const bool timestamp = !text.empty() && text[0] == '@';
  const std::optional<int64_t> number = parse_non_negative(timestamp ? text.substr(1) : text);
  if (!number) {
    throw CommandError(fmt::format(
        "invalid --to '{}': expected earliest, latest, OFFSET or @TIMESTAMP_MS", text));
  }
  return {timestamp ? Kind::kTimestamp : Kind::kOffset, *number};
}

TopicSelection TopicSelection::parse(std::string_view text) {
  const size_t colon = text.find(':');
  TopicSelection selection{std::string(text.substr(0, colon)), {}};
  const auto invalid = [&] {
    return CommandError(fmt::format(
        "invalid --topic '{}': expected TOPIC or TOPIC:PARTITION[,PARTITION...]", text));
  };
  if (selection.topic.empty()) throw invalid();
  if (colon == std::string_view::npos) return selection;
  std::string_view rest = text.substr(colon + 1);
  for (;;) {
    const size_t comma = rest.find(',');
    const std::optional<int64_t> partition = parse_non_negative(rest.substr(0, comma));
    if (!partition || *partition > INT32_MAX) throw invalid();
    selection.partitions.push_back(static_cast<int32_t>(*partition));
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  std::sort(selection.partitions.begin(), selection.partitions.end());
  selection.partitions.erase(std::unique(selection.partitions.begin(), selection.partitions.end()),
                             selection.partitions.end());
  return selection;
}

int64_t reset_offset(const ResetTarget& target, int64_t log_start_offset, int64_t log_end_offset,
                     int64_t timestamp_offset) {
  switch (target.kind) {
    case ResetTarget::Kind::kEarliest: return log_start_offset;
    case ResetTarget::Kind::kLatest: return log_end_offset;
    case ResetTarget::Kind::kOffset:
      return std::max(log_start_offset, std::min(target.value, log_end_offset));
    case ResetTarget::Kind::kTimestamp:
      return timestamp_offset < 0 ? log_end_offset : timestamp_offset;
  }
  return log_end_offset;
}

void require_inactive(const GroupDescription& group) {
  if (group.error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw CommandError(group_error_message(group.group, group.error, group.message));
  }
  const bool inactive = group.state == RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY ||
                        group.state == RD_KAFKA_CONSUMER_GROUP_STATE_DEAD;
  if (inactive && group.members.empty()) return;
  throw CommandError(fmt::format(
      "group '{}' is {} with {} member{}: offsets can only be reset while it has none; stop "
      "its consumers first ({})",
      group.group, rd_kafka_consumer_group_state_name(group.state), group.members.size(),
      group.members.size() == 1 ? "" : "s", kafka_error_name(RD_KAFKA_RESP_ERR_NON_EMPTY_GROUP)));
}

}  // namespace freshet::cli
