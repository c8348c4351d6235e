#include "cli/admin.h"

#include <fmt/core.h>

#include <algorithm>
#include <functional>
#include <memory>

#include "cli/errors.h"
#include "cli/group_errors.h"

namespace freshet::cli {
namespace {

using EventPtr = Owned<rd_kafka_event_t, rd_kafka_event_destroy>;
using QueuePtr = Owned<rd_kafka_queue_t, rd_kafka_queue_destroy>;
using OptionsPtr = Owned<rd_kafka_AdminOptions_t, rd_kafka_AdminOptions_destroy>;
using NewTopicPtr = Owned<rd_kafka_NewTopic_t, rd_kafka_NewTopic_destroy>;
using DeleteTopicPtr = Owned<rd_kafka_DeleteTopic_t, rd_kafka_DeleteTopic_destroy>;
using NewPartitionsPtr = Owned<rd_kafka_NewPartitions_t, rd_kafka_NewPartitions_destroy>;
using ResourcePtr = Owned<rd_kafka_ConfigResource_t, rd_kafka_ConfigResource_destroy>;
using DeleteGroupPtr = Owned<rd_kafka_DeleteGroup_t, rd_kafka_DeleteGroup_destroy>;
using ListOffsetsPtr =
    Owned<rd_kafka_ListConsumerGroupOffsets_t, rd_kafka_ListConsumerGroupOffsets_destroy>;
using AlterOffsetsPtr =
    Owned<rd_kafka_AlterConsumerGroupOffsets_t, rd_kafka_AlterConsumerGroupOffsets_destroy>;
using ErrorPtr = Owned<rd_kafka_error_t, rd_kafka_error_destroy>;
using DeleteRecordsPtr = Owned<rd_kafka_DeleteRecords_t, rd_kafka_DeleteRecords_destroy>;

// The raw pointers of `owners`, as librdkafka's array arguments want them.
template <typename Ptr>
std::vector<typename Ptr::pointer> raw(const std::vector<Ptr>& owners) {
  std::vector<typename Ptr::pointer> pointers;
  for (const Ptr& owner : owners) pointers.push_back(owner.get());
  return pointers;
}

void check_admin_option(rd_kafka_resp_err_t err, const char* errstr) {
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw CommandError(fmt::format("invalid admin request option: {}", errstr));
  }
}

using SendRequest = std::function<void(rd_kafka_AdminOptions_t*, rd_kafka_queue_t*)>;

// Sends one admin request (`send` enqueues it with the given options and reply queue) and waits
// for its result event. Throws CommandError naming `request` if the request as a whole fails.
EventPtr run_admin_request(Client& client, rd_kafka_admin_op_t op, const char* request,
                           bool validate_only, const SendRequest& send) {
  OptionsPtr options(rd_kafka_AdminOptions_new(client.handle(), op));
  char errstr[512];
  check_admin_option(rd_kafka_AdminOptions_set_request_timeout(options.get(), kRequestTimeoutMs,
                                                               errstr, sizeof errstr),
                     errstr);
  if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS || op == RD_KAFKA_ADMIN_OP_DELETETOPICS ||
      op == RD_KAFKA_ADMIN_OP_CREATEPARTITIONS) {
    // The broker answers once the change is in effect, as with kafka-topics.sh.
    check_admin_option(rd_kafka_AdminOptions_set_operation_timeout(
                           options.get(), kRequestTimeoutMs, errstr, sizeof errstr),
                       errstr);
  }
  if (validate_only) {
    check_admin_option(
        rd_kafka_AdminOptions_set_validate_only(options.get(), 1, errstr, sizeof errstr), errstr);
  }
  QueuePtr queue(rd_kafka_queue_new(client.handle()));
  send(options.get(), queue.get());
  EventPtr event;
  while (!event) {
    event.reset(rd_kafka_queue_poll(queue.get(), kPollSliceMs));
    if (!event) client.throw_if_unreachable();
  }
  const rd_kafka_resp_err_t err = rd_kafka_event_error(event.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* detail = rd_kafka_event_error_string(event.get());
    throw CommandError(fmt::format("{} request failed: {} ({})", request,
                                   error_detail(err, detail ? detail : ""),
                                   kafka_error_name(err)));
  }
  return event;
}

std::vector<TopicOutcome> to_outcomes(const rd_kafka_topic_result_t* const* results,
                                      size_t count) {
  std::vector<TopicOutcome> outcomes;
  for (size_t i = 0; i < count; ++i) {
    const char* message = rd_kafka_topic_result_error_string(results[i]);
    outcomes.push_back(TopicOutcome{rd_kafka_topic_result_name(results[i]),
                                    rd_kafka_topic_result_error(results[i]),
                                    message ? message : ""});
  }
  return outcomes;
}

// The single config resource of a DescribeConfigs or AlterConfigs answer about `topic`. Throws
// CommandError if the answer is malformed or carries an error for the topic.
const rd_kafka_ConfigResource_t* single_resource(const rd_kafka_ConfigResource_t* const* resources,
                                                 size_t count, const std::string& topic) {
  if (count != 1) {
    throw CommandError(
        fmt::format("topic '{}': the broker's answer lists {} config resources", topic, count));
  }
  const rd_kafka_resp_err_t err = rd_kafka_ConfigResource_error(resources[0]);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* message = rd_kafka_ConfigResource_error_string(resources[0]);
    throw CommandError(topic_error_message(topic, err, message ? message : ""));
  }
  return resources[0];
}

ResourcePtr topic_resource(const std::string& topic) {
  return ResourcePtr(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str()));
}

// Throws CommandError for a failed admin option setter that reports an rd_kafka_error_t.
void check_admin_option(rd_kafka_error_t* error) {
  ErrorPtr owned(error);
  if (owned) {
    check_admin_option(rd_kafka_error_code(owned.get()), rd_kafka_error_string(owned.get()));
  }
}

std::string string_or_empty(const char* text) { return text ? text : ""; }

// The code and description of a per-group error of librdkafka (null: no error).
rd_kafka_resp_err_t error_code(const rd_kafka_error_t* error) {
  return error != nullptr ? rd_kafka_error_code(error) : RD_KAFKA_RESP_ERR_NO_ERROR;
}
std::string error_text(const rd_kafka_error_t* error) {
  return error != nullptr ? string_or_empty(rd_kafka_error_string(error)) : "";
}

PartitionListPtr to_partition_list(const std::vector<PartitionOffset>& offsets) {
  PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const PartitionOffset& entry : offsets) {
    rd_kafka_topic_partition_list_add(list.get(), entry.partition.topic.c_str(),
                                      entry.partition.partition)
        ->offset = entry.offset;
  }
  return list;
}

// The entries of `list`, sorted by topic and partition.
std::vector<PartitionOffset> to_partition_offsets(const rd_kafka_topic_partition_list_t* list) {
  std::vector<PartitionOffset> offsets;
  for (int i = 0; list != nullptr && i < list->cnt; ++i) {
    const rd_kafka_topic_partition_t& p = list->elems[i];
    offsets.push_back(PartitionOffset{{p.topic, p.partition}, p.offset, p.err});
  }
  std::sort(offsets.begin(), offsets.end(),
            [](const PartitionOffset& a, const PartitionOffset& b) {
              return a.partition < b.partition;
            });
  return offsets;
}

// The single group result of an offsets request about `group`; throws CommandError on a
// malformed answer or a group-level error.
const rd_kafka_topic_partition_list_t* single_group_partitions(
    const rd_kafka_group_result_t* const* results, size_t count, const std::string& group) {
  if (count != 1) {
    throw CommandError(
        fmt::format("group '{}': the broker's answer lists {} groups", group, count));
  }
  const rd_kafka_error_t* error = rd_kafka_group_result_error(results[0]);
  if (error != nullptr) {
    throw CommandError(group_error_message(group, error_code(error), error_text(error)));
  }
  return rd_kafka_group_result_partitions(results[0]);
}

GroupMember to_group_member(const rd_kafka_MemberDescription_t* member) {
  GroupMember out;
  out.member_id = string_or_empty(rd_kafka_MemberDescription_consumer_id(member));
  if (const char* instance = rd_kafka_MemberDescription_group_instance_id(member)) {
    out.instance_id = instance;
  }
  out.client_id = string_or_empty(rd_kafka_MemberDescription_client_id(member));
  out.host = string_or_empty(rd_kafka_MemberDescription_host(member));
  const rd_kafka_MemberAssignment_t* assignment = rd_kafka_MemberDescription_assignment(member);
  const rd_kafka_topic_partition_list_t* partitions =
      assignment ? rd_kafka_MemberAssignment_partitions(assignment) : nullptr;
  for (const PartitionOffset& entry : to_partition_offsets(partitions)) {
    out.assignment.push_back(entry.partition);
  }
  return out;
}

GroupDescription to_group_description(const rd_kafka_ConsumerGroupDescription_t* group) {
  GroupDescription out;
  out.group = string_or_empty(rd_kafka_ConsumerGroupDescription_group_id(group));
  const rd_kafka_error_t* error = rd_kafka_ConsumerGroupDescription_error(group);
  out.error = error_code(error);
  out.message = error_text(error);
  if (out.error != RD_KAFKA_RESP_ERR_NO_ERROR) return out;
  out.state = rd_kafka_ConsumerGroupDescription_state(group);
  out.simple = rd_kafka_ConsumerGroupDescription_is_simple_consumer_group(group) != 0;
  out.assignor = string_or_empty(rd_kafka_ConsumerGroupDescription_partition_assignor(group));
  if (const rd_kafka_Node_t* node = rd_kafka_ConsumerGroupDescription_coordinator(group)) {
    out.coordinator_id = rd_kafka_Node_id(node);
    out.coordinator_host = string_or_empty(rd_kafka_Node_host(node));
    out.coordinator_port = rd_kafka_Node_port(node);
  }
  const size_t count = rd_kafka_ConsumerGroupDescription_member_count(group);
  for (size_t i = 0; i < count; ++i) {
    out.members.push_back(to_group_member(rd_kafka_ConsumerGroupDescription_member(group, i)));
  }
  return out;
}

}  // namespace

std::vector<TopicOutcome> create_topics(Client& client, const std::vector<NewTopicSpec>& topics,
                                        bool validate_only) {
  std::vector<NewTopicPtr> requests;
  for (const NewTopicSpec& spec : topics) {
    char errstr[512];
    requests.emplace_back(rd_kafka_NewTopic_new(spec.name.c_str(), spec.partitions,
                                                spec.replication_factor, errstr, sizeof errstr));
    if (!requests.back()) throw CommandError(fmt::format("topic '{}': {}", spec.name, errstr));
    for (const KeyValue& config : spec.configs) {
      rd_kafka_NewTopic_set_config(requests.back().get(), config.key.c_str(),
                                   config.value.c_str());
    }
  }
  std::vector<rd_kafka_NewTopic_t*> pointers = raw(requests);
  EventPtr event = run_admin_request(
      client, RD_KAFKA_ADMIN_OP_CREATETOPICS, "CreateTopics", validate_only,
      [&](auto* options, auto* queue) {
        rd_kafka_CreateTopics(client.handle(), pointers.data(), pointers.size(), options, queue);
      });
  size_t count = 0;
  const auto* results = rd_kafka_CreateTopics_result_topics(
      rd_kafka_event_CreateTopics_result(event.get()), &count);
  return to_outcomes(results, count);
}

std::vector<TopicOutcome> delete_topics(Client& client, const std::vector<std::string>& topics) {
  std::vector<DeleteTopicPtr> requests;
  for (const std::string& topic : topics) {
    requests.emplace_back(rd_kafka_DeleteTopic_new(topic.c_str()));
  }
  std::vector<rd_kafka_DeleteTopic_t*> pointers = raw(requests);
  EventPtr event = run_admin_request(
      client, RD_KAFKA_ADMIN_OP_DELETETOPICS, "DeleteTopics", false,
      [&](auto* options, auto* queue) {
        rd_kafka_DeleteTopics(client.handle(), pointers.data(), pointers.size(), options, queue);
      });
  size_t count = 0;
  const auto* results = rd_kafka_DeleteTopics_result_topics(
      rd_kafka_event_DeleteTopics_result(event.get()), &count);
  return to_outcomes(results, count);
}

TopicOutcome create_partitions(Client& client, const std::string& topic, int total_partitions) {
  if (total_partitions < 1) {
    throw CommandError(
        fmt::format("invalid partition count {}: must be at least 1", total_partitions));
  }
  char errstr[512];
  NewPartitionsPtr request(rd_kafka_NewPartitions_new(
      topic.c_str(), static_cast<size_t>(total_partitions), errstr, sizeof errstr));
  if (!request) throw CommandError(fmt::format("topic '{}': {}", topic, errstr));
  rd_kafka_NewPartitions_t* pointer = request.get();
  EventPtr event = run_admin_request(
      client, RD_KAFKA_ADMIN_OP_CREATEPARTITIONS, "CreatePartitions", false,
      [&](auto* options, auto* queue) {
        rd_kafka_CreatePartitions(client.handle(), &pointer, 1, options, queue);
      });
  size_t count = 0;
  const auto* results = rd_kafka_CreatePartitions_result_topics(
      rd_kafka_event_CreatePartitions_result(event.get()), &count);
  std::vector<TopicOutcome> outcomes = to_outcomes(results, count);
  if (outcomes.size() != 1) {
    throw CommandError(fmt::format("topic '{}': the CreatePartitions answer lists {} topics",
                                   topic, outcomes.size()));
  }
  return outcomes.front();
}

std::vector<PartitionOffset> delete_records(Client& client, const std::vector<PartitionOffset>& before) {
  PartitionListPtr list = to_partition_list(before);
  DeleteRecordsPtr request(rd_kafka_DeleteRecords_new(list.get()));
  rd_kafka_DeleteRecords_t* pointer = request.get();
  EventPtr event = run_admin_request(
      client, RD_KAFKA_ADMIN_OP_DELETERECORDS, "DeleteRecords", false,
      [&](auto* options, auto* queue) { rd_kafka_DeleteRecords(client.handle(), &pointer, 1, options, queue); });
  return to_partition_offsets(
      rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(event.get())));
}

std::vector<ConfigEntry> describe_topic_configs(Client& client, const std::string& topic) {
  ResourcePtr resource = topic_resource(topic);
  rd_kafka_ConfigResource_t* pointer = resource.get();
  EventPtr event = run_admin_request(
      client, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, "DescribeConfigs", false,
      [&](auto* options, auto* queue) {
        rd_kafka_DescribeConfigs(client.handle(), &pointer, 1, options, queue);
      });
  size_t count = 0;
  const auto* resources = rd_kafka_DescribeConfigs_result_resources(
      rd_kafka_event_DescribeConfigs_result(event.get()), &count);
  const rd_kafka_ConfigResource_t* answer = single_resource(resources, count, topic);
  size_t entry_count = 0;
  const auto* entries = rd_kafka_ConfigResource_configs(answer, &entry_count);
  std::vector<ConfigEntry> configs;
  for (size_t i = 0; i < entry_count; ++i) {
    const char* value = rd_kafka_ConfigEntry_value(entries[i]);
    configs.push_back(ConfigEntry{rd_kafka_ConfigEntry_name(entries[i]),
                                  value ? std::optional<std::string>(value) : std::nullopt,
                                  rd_kafka_ConfigEntry_source(entries[i]),
                                  rd_kafka_ConfigEntry_is_read_only(entries[i]) != 0,
                                  rd_kafka_ConfigEntry_is_sensitive(entries[i]) != 0});
  }
  std::sort(configs.begin(), configs.end(),
            [](const ConfigEntry& a, const ConfigEntry& b) { return a.name < b.name; });
  return configs;
}

void alter_topic_configs(Client& client, const std::string& topic,
                         const std::map<std::string, std::string>& configs, bool validate_only) {
  ResourcePtr resource = topic_resource(topic);
  for (const auto& [name, value] : configs) {
    const rd_kafka_resp_err_t err =
        rd_kafka_ConfigResource_set_config(resource.get(), name.c_str(), value.c_str());
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      throw CommandError(fmt::format("config '{}': {}", name, rd_kafka_err2str(err)));
    }
  }
  rd_kafka_ConfigResource_t* pointer = resource.get();
  EventPtr event = run_admin_request(
      client, RD_KAFKA_ADMIN_OP_ALTERCONFIGS, "AlterConfigs", validate_only,
      [&](auto* options, auto* queue) {
        rd_kafka_AlterConfigs(client.handle(), &pointer, 1, options, queue);
      });
  size_t count = 0;
  const auto* resources = rd_kafka_AlterConfigs_result_resources(
      rd_kafka_event_AlterConfigs_result(event.get()), &count);
  single_resource(resources, count, topic);
}

std::vector<GroupListing> list_groups(
    Client& client, const std::vector<rd_kafka_consumer_group_state_t>& states) {
  EventPtr event = run_admin_request(
      client, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, "ListGroups", false,
      [&](auto* options, auto* queue) {
        if (!states.empty()) {
          check_admin_option(rd_kafka_AdminOptions_set_match_consumer_group_states(
              options, states.data(), states.size()));
        }
        rd_kafka_ListConsumerGroups(client.handle(), options, queue);
      });
  const auto* result = rd_kafka_event_ListConsumerGroups_result(event.get());
  size_t error_count = 0;
  const rd_kafka_error_t** errors = rd_kafka_ListConsumerGroups_result_errors(result, &error_count);
  if (error_count > 0) {
    const rd_kafka_resp_err_t err = error_code(errors[0]);
    throw CommandError(fmt::format("ListGroups request failed: {} ({})",
                                   error_detail(err, error_text(errors[0])),
                                   kafka_error_name(err)));
  }
  size_t count = 0;
  const auto** listings = rd_kafka_ListConsumerGroups_result_valid(result, &count);
  std::vector<GroupListing> groups;
  for (size_t i = 0; i < count; ++i) {
    groups.push_back(
        GroupListing{string_or_empty(rd_kafka_ConsumerGroupListing_group_id(listings[i])),
                     rd_kafka_ConsumerGroupListing_state(listings[i]),
                     rd_kafka_ConsumerGroupListing_is_simple_consumer_group(listings[i]) != 0});
  }
  std::sort(groups.begin(), groups.end(),
            [](const GroupListing& a, const GroupListing& b) { return a.group < b.group; });
  return groups;
}

std::vector<GroupDescription> describe_groups(Client& client,
                                              const std::vector<std::string>& groups) {
  std::vector<const char*> names;
  for (const std::string& group : groups) names.push_back(group.c_str());
  EventPtr event = run_admin_request(
      client, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, "DescribeGroups", false,
      [&](auto* options, auto* queue) {
        rd_kafka_DescribeConsumerGroups(client.handle(), names.data(), names.size(), options,
                                        queue);
      });
  size_t count = 0;
  const auto** results = rd_kafka_DescribeConsumerGroups_result_groups(
      rd_kafka_event_DescribeConsumerGroups_result(event.get()), &count);
  std::vector<GroupDescription> descriptions;
  for (size_t i = 0; i < count; ++i) descriptions.push_back(to_group_description(results[i]));
  return descriptions;
}

std::vector<GroupOutcome> delete_groups(Client& client, const std::vector<std::string>& groups) {
  std::vector<DeleteGroupPtr> requests;
  for (const std::string& group : groups) {
    requests.emplace_back(rd_kafka_DeleteGroup_new(group.c_str()));
  }
  std::vector<rd_kafka_DeleteGroup_t*> pointers = raw(requests);
  EventPtr event = run_admin_request(
      client, RD_KAFKA_ADMIN_OP_DELETEGROUPS, "DeleteGroups", false,
      [&](auto* options, auto* queue) {
        rd_kafka_DeleteGroups(client.handle(), pointers.data(), pointers.size(), options, queue);
      });
  size_t count = 0;
  const auto** results = rd_kafka_DeleteGroups_result_groups(
      rd_kafka_event_DeleteGroups_result(event.get()), &count);
  std::vector<GroupOutcome> outcomes;
  for (size_t i = 0; i < count; ++i) {
    const rd_kafka_error_t* error = rd_kafka_group_result_error(results[i]);
    outcomes.push_back(GroupOutcome{string_or_empty(rd_kafka_group_result_name(results[i])),
                                    error_code(error), error_text(error)});
  }
  return outcomes;
}

std::vector<PartitionOffset> fetch_group_offsets(Client& client, const std::string& group) {
  ListOffsetsPtr request(rd_kafka_ListConsumerGroupOffsets_new(group.c_str(), nullptr));
  rd_kafka_ListConsumerGroupOffsets_t* pointer = request.get();
  EventPtr event = run_admin_request(
      client, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, "OffsetFetch", false,
      [&](auto* options, auto* queue) {
        rd_kafka_ListConsumerGroupOffsets(client.handle(), &pointer, 1, options, queue);
      });
  size_t count = 0;
  const auto** results = rd_kafka_ListConsumerGroupOffsets_result_groups(
      rd_kafka_event_ListConsumerGroupOffsets_result(event.get()), &count);
  std::vector<PartitionOffset> offsets =
      to_partition_offsets(single_group_partitions(results, count, group));
  std::erase_if(offsets, [](const PartitionOffset& entry) {
    return entry.offset < 0 && entry.error == RD_KAFKA_RESP_ERR_NO_ERROR;
  });
  return offsets;
}

std::vector<PartitionOffset> commit_group_offsets(Client& client, const std::string& group,
                                                  const std::vector<PartitionOffset>& offsets) {
  PartitionListPtr list = to_partition_list(offsets);
  AlterOffsetsPtr request(rd_kafka_AlterConsumerGroupOffsets_new(group.c_str(), list.get()));
  rd_kafka_AlterConsumerGroupOffsets_t* pointer = request.get();
  EventPtr event = run_admin_request(
      client, RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS, "OffsetCommit", false,
      [&](auto* options, auto* queue) {
        rd_kafka_AlterConsumerGroupOffsets(client.handle(), &pointer, 1, options, queue);
      });
  size_t count = 0;
  const auto** results = rd_kafka_AlterConsumerGroupOffsets_result_groups(
      rd_kafka_event_AlterConsumerGroupOffsets_result(event.get()), &count);
  return to_partition_offsets(single_group_partitions(results, count, group));
}

std::vector<PartitionOffset> offsets_for_timestamp(Client& client,
                                                   const std::vector<TopicPartition>& partitions,
                                                   int64_t timestamp_ms) {
  std::vector<PartitionOffset> queries;
  for (const TopicPartition& partition : partitions) {
    queries.push_back(PartitionOffset{partition, timestamp_ms});
  }
  PartitionListPtr list = to_partition_list(queries);
  const rd_kafka_resp_err_t err =
      rd_kafka_offsets_for_times(client.handle(), list.get(), kRequestTimeoutMs);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    client.throw_if_unreachable();
    throw CommandError(fmt::format("cannot look up offsets by timestamp: {} ({})",
                                   error_detail(err, ""), kafka_error_name(err)));
  }
  std::vector<PartitionOffset> offsets = to_partition_offsets(list.get());
  for (PartitionOffset& entry : offsets) {
    if (entry.offset < 0) entry.offset = -1;
  }
  return offsets;
}

}  // namespace freshet::cli
