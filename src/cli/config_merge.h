// The config set `freshet topic alter-config` sends. AlterConfigs (non-incremental) replaces all
// of a topic's dynamic configs, so the request must carry the current ones plus the changes.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "cli/key_value.h"

namespace freshet::cli {

// `current` (the topic's dynamic configs) with every key in `sets` set to its value and every
// key in `deletes` removed (back to its default; deleting an unset key changes nothing). Throws
// CommandError if a key is given twice, or both set and deleted.
std::map<std::string, std::string> merge_topic_configs(
    const std::map<std::string, std::string>& current, const std::vector<KeyValue>& sets,
    const std::vector<std::string>& deletes);

}  // namespace freshet::cli
