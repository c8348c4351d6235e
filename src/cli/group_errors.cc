#include "cli/group_errors.h"

#include <fmt/core.h>

#include "cli/errors.h"

namespace freshet::cli {

std::string group_error_message(std::string_view group, rd_kafka_resp_err_t err,
                                std::string_view detail) {
  const std::string name = kafka_error_name(err);
  switch (err) {
    case RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND:
      return fmt::format("group '{}' does not exist ({})", group, name);
    case RD_KAFKA_RESP_ERR_NON_EMPTY_GROUP:
      return fmt::format("group '{}' still has members: stop its consumers first ({})", group,
                         name);
    case RD_KAFKA_RESP_ERR_INVALID_GROUP_ID:
      return fmt::format("invalid group id '{}' ({})", group, name);
    case RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID:
      // An offset commit without a member id while the group has members.
      return fmt::format("group '{}' has active members: its offsets cannot be changed ({})",
                         group, name);
    default:
      return fmt::format("group '{}': {} ({})", group, error_detail(err, detail), name);
  }
}

}  // namespace freshet::cli
