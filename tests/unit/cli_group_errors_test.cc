#include "cli/group_errors.h"

#include <gtest/gtest.h>

namespace freshet::cli {
namespace {

TEST(GroupErrorMessage, KnownErrorsReadWell) {
  EXPECT_EQ(group_error_message("g", RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND, ""),
            "group 'g' does not exist (GROUP_ID_NOT_FOUND)");
  EXPECT_EQ(group_error_message("g", RD_KAFKA_RESP_ERR_NON_EMPTY_GROUP, "Broker: not empty"),
            "group 'g' still has members: stop its consumers first (NON_EMPTY_GROUP)");
  EXPECT_EQ(group_error_message("", RD_KAFKA_RESP_ERR_INVALID_GROUP_ID, ""),
            "invalid group id '' (INVALID_GROUP_ID)");
  EXPECT_EQ(group_error_message("g", RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID, ""),
            "group 'g' has active members: its offsets cannot be changed (UNKNOWN_MEMBER_ID)");
}

TEST(GroupErrorMessage, OthersUseTheDetail) {
  EXPECT_EQ(group_error_message("g", RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
                                "Broker: Coordinator not available"),
            "group 'g': Coordinator not available (COORDINATOR_NOT_AVAILABLE)");
  EXPECT_EQ(group_error_message("g", RD_KAFKA_RESP_ERR__TIMED_OUT, ""),
            "group 'g': Timed out (_TIMED_OUT)");
}

}  // namespace
}  // namespace freshet::cli
