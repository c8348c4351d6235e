// Sentences about a consumer group's Kafka errors, for the `freshet group` commands.
#pragma once

#include <librdkafka/rdkafka.h>

#include <string>
#include <string_view>

namespace freshet::cli {

// One sentence about `err` concerning `group`, ending in the Kafka error name, e.g.
// "group 'g' does not exist (GROUP_ID_NOT_FOUND)" or "group 'g' still has members: stop its
// consumers first (NON_EMPTY_GROUP)". `detail` is the broker's or librdkafka's message, used
// where no better phrase is known.
std::string group_error_message(std::string_view group, rd_kafka_resp_err_t err,
                                std::string_view detail);

}  // namespace freshet::cli
