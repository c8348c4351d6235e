// Cluster metadata and partition watermarks, as plain values.
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <string>
#include <vector>

#include "cli/client.h"

namespace freshet::cli {

struct PartitionInfo {
  int32_t id = 0;
  int32_t leader = -1;
  std::vector<int32_t> replicas;
  std::vector<int32_t> isr;
  rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR_NO_ERROR;
};

struct TopicInfo {
  std::string name;
  rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR_NO_ERROR;
  std::vector<PartitionInfo> partitions;  // sorted by id

  // The replica count of its partitions (the largest, should they differ); 0 if none.
  size_t replication_factor() const;
  // Whether the topic is internal to the cluster (its name starts with "__").
  bool is_internal() const;
};

// Every topic in the cluster, sorted by name. Throws CommandError if the brokers cannot be
// reached or do not answer within kRequestTimeoutMs.
std::vector<TopicInfo> list_topics(Client& client);

// One topic. Waits (bounded) while its leaders are being elected; throws CommandError if the
// broker reports an error for it, e.g. "topic 'x' does not exist (UNKNOWN_TOPIC_OR_PARTITION)".
// Requesting a topic through a producer handle may create it if the broker auto-creates topics.
TopicInfo describe_topic(Client& client, const std::string& topic);

struct Watermarks {
  int64_t log_start_offset = -1;
  int64_t high_watermark = -1;
  rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR_NO_ERROR;
};

// The log start offset and high watermark of one partition, asked of its leader.
Watermarks query_watermarks(Client& client, const std::string& topic, int32_t partition);

}  // namespace freshet::cli
