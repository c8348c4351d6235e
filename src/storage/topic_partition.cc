#include "storage/topic_partition.h"

#include <charconv>

namespace freshet::storage {

std::string TopicPartition::dir_name() const { return topic + "-" + std::to_string(partition); }

std::optional<TopicPartition> TopicPartition::from_dir_name(std::string_view name) {
  auto dash = name.rfind('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == name.size()) return std::nullopt;
  std::string_view digits = name.substr(dash + 1);
  int32_t partition = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), partition);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || partition < 0) return std::nullopt;
  // Kafka's legal topic characters; anything else (e.g. the '.' + uuid of a
  // "-delete" directory is legal, but its suffix is not digits) is not ours.
  std::string_view topic = name.substr(0, dash);
  for (char c : topic) {
    bool legal = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!legal) return std::nullopt;
  }
  return TopicPartition{std::string(topic), partition};
}

}  // namespace freshet::storage
