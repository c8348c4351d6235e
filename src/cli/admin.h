// The Kafka admin requests the CLI uses (librdkafka's admin API), with plain-value results.
#pragma once

#include <librdkafka/rdkafka.h>

#include <compare>
#include <cstdint>
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

// ---- consumer groups ---------------------------------------------------------------------------

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const TopicPartition&) const = default;
};

// An offset of one partition: committed, to commit, or looked up.
struct PartitionOffset {
  TopicPartition partition;
  int64_t offset = -1;  // -1: none (nothing committed, no record at the timestamp)
  rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR_NO_ERROR;
};

// DeleteRecords: each partition's records before its `offset` (-1: the high watermark) are
// deleted. Returns each partition's new low watermark (its log start offset) in `offset`, or
// its error.
std::vector<PartitionOffset> delete_records(Client& client, const std::vector<PartitionOffset>& before);

// A consumer group as ListGroups reports it. librdkafka lists only groups of protocol type
// "consumer" and "simple" ones (empty protocol type: offsets committed without joining).
struct GroupListing {
  std::string group;
  rd_kafka_consumer_group_state_t state = RD_KAFKA_CONSUMER_GROUP_STATE_UNKNOWN;
  bool simple = false;

  std::string protocol_type() const { return simple ? "" : "consumer"; }
};

struct GroupMember {
  std::string member_id;
  std::optional<std::string> instance_id;  // group.instance.id of a static member
  std::string client_id;
  std::string host;
  std::vector<TopicPartition> assignment;  // sorted; empty until the group is Stable
};

// DescribeGroups' answer for one group. An unknown group is described as Dead (Kafka's way),
// not as an error.
struct GroupDescription {
  std::string group;
  rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR_NO_ERROR;
  std::string message;  // the error's description, may be empty
  rd_kafka_consumer_group_state_t state = RD_KAFKA_CONSUMER_GROUP_STATE_UNKNOWN;
  bool simple = false;
  std::string assignor;  // the consumer protocol's partition assignor, e.g. "range"
  int32_t coordinator_id = -1;
  std::string coordinator_host;
  uint16_t coordinator_port = 0;
  std::vector<GroupMember> members;

  std::string protocol_type() const { return simple ? "" : "consumer"; }
};

// The broker's answer for one group of a multi-group request (DeleteGroups).
struct GroupOutcome {
  std::string group;
  rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR_NO_ERROR;
  std::string message;
};

// ListGroups: every group, sorted by name; with `states`, only groups in one of them (the
// broker filters). Throws CommandError if any broker's answer carries an error.
std::vector<GroupListing> list_groups(Client& client,
                                      const std::vector<rd_kafka_consumer_group_state_t>& states);

// FindCoordinator + DescribeGroups of each group, in the order asked.
std::vector<GroupDescription> describe_groups(Client& client,
                                              const std::vector<std::string>& groups);

// DeleteGroups; a group with members fails with NON_EMPTY_GROUP.
std::vector<GroupOutcome> delete_groups(Client& client, const std::vector<std::string>& groups);

// OffsetFetch of every partition `group` has committed an offset for, sorted. Throws
// CommandError on a group-level error.
std::vector<PartitionOffset> fetch_group_offsets(Client& client, const std::string& group);

// OffsetCommit of `offsets` as an administrator (no generation, no member id): the broker
// refuses it while the group has members. Returns the per-partition outcome, sorted.
std::vector<PartitionOffset> commit_group_offsets(Client& client, const std::string& group,
                                                  const std::vector<PartitionOffset>& offsets);

// ListOffsets by timestamp: per partition, the first offset whose record timestamp is at or
// after `timestamp_ms`, or -1 if there is none. Throws CommandError if the request fails.
std::vector<PartitionOffset> offsets_for_timestamp(Client& client,
                                                   const std::vector<TopicPartition>& partitions,
                                                   int64_t timestamp_ms);

}  // namespace freshet::cli
