// The Kafka admin requests the CLI uses (librdkafka's admin API), with plain-value results.
#pragma once

#include <librdkafka/rdkafka.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cli/client.h"
#include "cli/key_value.h"

namespace freshet::cli {

// The broker's answer for one topic of a multi-topic request.
struct TopicOutcome {
  std::string topic;
  rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR_NO_ERROR;
  std::string message;  // the broker's error message, may be empty
};

struct NewTopicSpec {
  std::string name;
  int partitions = -1;          // -1: the broker's num.partitions
  int replication_factor = -1;  // -1: the broker's default.replication.factor
  std::vector<KeyValue> configs;
};

// Every admin call below throws CommandError if the request as a whole fails (unreachable
// brokers, timeout, invalid arguments); per-topic failures are returned, not thrown.

// CreateTopics; with `validate_only` the broker only checks the request.
std::vector<TopicOutcome> create_topics(Client& client, const std::vector<NewTopicSpec>& topics,
                                        bool validate_only);

// DeleteTopics.
std::vector<TopicOutcome> delete_topics(Client& client, const std::vector<std::string>& topics);

// CreatePartitions: grows `topic` to `total_partitions`.
TopicOutcome create_partitions(Client& client, const std::string& topic, int total_partitions);

struct ConfigEntry {
  std::string name;
  std::optional<std::string> value;  // nullopt for sensitive or unset values
  rd_kafka_ConfigSource_t source = RD_KAFKA_CONFIG_SOURCE_UNKNOWN_CONFIG;
  bool read_only = false;
  bool sensitive = false;
};

// DescribeConfigs of a topic, sorted by name. Throws CommandError on any error, including the
// topic's own (e.g. it does not exist).
std::vector<ConfigEntry> describe_topic_configs(Client& client, const std::string& topic);

// AlterConfigs (non-incremental): `configs` becomes the topic's complete set of dynamic configs.
// Throws CommandError on any error.
void alter_topic_configs(Client& client, const std::string& topic,
                         const std::map<std::string, std::string>& configs, bool validate_only);

}  // namespace freshet::cli
