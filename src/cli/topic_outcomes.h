// Output of the topic commands that act on several topics at once (create, delete, ...).
#pragma once

#include <string_view>
#include <vector>

#include "cli/admin.h"

namespace freshet::cli {

// Prints a TOPIC/STATUS table of `outcomes` to stdout (status `ok_status` or the Kafka error
// name), then one "error: ..." line per failed topic to stderr. Throws a CommandError with an
// empty message (already reported) if any topic failed.
void report_topic_outcomes(const std::vector<TopicOutcome>& outcomes, std::string_view ok_status);

}  // namespace freshet::cli
