// A topic partition and the name of its directory in a log dir.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace freshet::storage {

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;

  // "<topic>-<partition>", Kafka's partition directory name.
  std::string dir_name() const;
  // Parses a partition directory name; the partition follows the LAST '-'
  // (topic names may contain '-'). nullopt for any other name, including
  // Kafka's "-delete", "-future" and "-stray" directories.
  static std::optional<TopicPartition> from_dir_name(std::string_view name);

  friend auto operator<=>(const TopicPartition&, const TopicPartition&) = default;
};

}  // namespace freshet::storage
