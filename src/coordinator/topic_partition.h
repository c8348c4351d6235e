// A partition of a topic, as the transaction coordinator names the data
// partitions a transaction writes to.
#pragma once

#include <compare>
#include <cstdint>
#include <set>
#include <string>

namespace freshet::coordinator {

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  friend auto operator<=>(const TopicPartition&, const TopicPartition&) = default;
};

using TopicPartitionSet = std::set<TopicPartition>;

}  // namespace freshet::coordinator
