#include "cli/topic_outcomes.h"

#include <cstdio>
#include <string>

#include "cli/errors.h"
#include "cli/table.h"

namespace freshet::cli {

void report_topic_outcomes(const std::vector<TopicOutcome>& outcomes,
                           std::string_view ok_status) {
  Table table({"TOPIC", "STATUS"});
  for (const TopicOutcome& outcome : outcomes) {
    table.add_row({outcome.topic, outcome.error == RD_KAFKA_RESP_ERR_NO_ERROR
                                      ? std::string(ok_status)
                                      : kafka_error_name(outcome.error)});
  }
  std::fputs(table.render().c_str(), stdout);
  std::fflush(stdout);
  bool failed = false;
  for (const TopicOutcome& outcome : outcomes) {
    if (outcome.error == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    std::fprintf(stderr, "error: %s\n",
                 topic_error_message(outcome.topic, outcome.error, outcome.message).c_str());
    failed = true;
  }
  if (failed) throw CommandError("");
}

}  // namespace freshet::cli
