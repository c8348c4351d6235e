#include "cli/errors.h"

#include <gtest/gtest.h>

namespace freshet::cli {
namespace {

TEST(Errors, KafkaNames) {
  EXPECT_EQ(kafka_error_name(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART), "UNKNOWN_TOPIC_OR_PARTITION");
  EXPECT_EQ(kafka_error_name(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE), "MESSAGE_TOO_LARGE");
  EXPECT_EQ(kafka_error_name(RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION), "NOT_LEADER_OR_FOLLOWER");
  EXPECT_EQ(kafka_error_name(RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR),
            "INVALID_REPLICATION_FACTOR");
  EXPECT_EQ(kafka_error_name(static_cast<rd_kafka_resp_err_t>(100)), "UNKNOWN_TOPIC_ID");
  EXPECT_EQ(kafka_error_name(static_cast<rd_kafka_resp_err_t>(999)), "ERROR_999");
  EXPECT_EQ(kafka_error_name(RD_KAFKA_RESP_ERR__TIMED_OUT), "_TIMED_OUT");
}

TEST(Errors, TopicMessages) {
  EXPECT_EQ(topic_error_message("x", RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, "whatever"),
            "topic 'x' does not exist (UNKNOWN_TOPIC_OR_PARTITION)");
  EXPECT_EQ(topic_error_message("x", RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS, ""),
            "topic 'x' already exists (TOPIC_ALREADY_EXISTS)");
  EXPECT_EQ(topic_error_message("x", RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR,
                                "Replication factor 3 larger than available brokers 1"),
            "topic 'x': Replication factor 3 larger than available brokers 1 "
            "(INVALID_REPLICATION_FACTOR)");
  EXPECT_EQ(topic_error_message("x", RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE,
                                "Broker: Message size too large"),
            "topic 'x': Message size too large (MESSAGE_TOO_LARGE)");
  EXPECT_EQ(topic_error_message("x", RD_KAFKA_RESP_ERR_INVALID_PARTITIONS, ""),
            "topic 'x': Invalid number of partitions (INVALID_PARTITIONS)");
}

}  // namespace
}  // namespace freshet::cli
