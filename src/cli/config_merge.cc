#include "cli/config_merge.h"

#include <fmt/core.h>

#include <set>

#include "cli/errors.h"

namespace freshet::cli {

std::map<std::string, std::string> merge_topic_configs(
    const std::map<std::string, std::string>& current, const std::vector<KeyValue>& sets,
    const std::vector<std::string>& deletes) {
  std::set<std::string> mentioned;
  const auto mention = [&](const std::string& key) {
    if (!mentioned.insert(key).second) {
      throw CommandError(fmt::format("config '{}' is given more than once", key));
    }
  };
  std::map<std::string, std::string> merged = current;
  for (const KeyValue& set : sets) {
    mention(set.key);
    merged[set.key] = set.value;
  }
  for (const std::string& key : deletes) {
    mention(key);
    merged.erase(key);
  }
  return merged;
}

}  // namespace freshet::cli
