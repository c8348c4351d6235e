#include "cli/admin.h"

#include <fmt/core.h>

#include <algorithm>
#include <functional>
#include <memory>

#include "cli/errors.h"

namespace freshet::cli {
namespace {

// Admin polls its result queue in slices this long, checking for unreachable brokers between.
constexpr int kPollSliceMs = 100;

// Owning pointers to librdkafka objects.
template <typename T, void (*Destroy)(T*)>
struct Deleter {
  void operator()(T* object) const { Destroy(object); }
};
template <typename T, void (*Destroy)(T*)>
using Owned = std::unique_ptr<T, Deleter<T, Destroy>>;
using EventPtr = Owned<rd_kafka_event_t, rd_kafka_event_destroy>;
using QueuePtr = Owned<rd_kafka_queue_t, rd_kafka_queue_destroy>;
using OptionsPtr = Owned<rd_kafka_AdminOptions_t, rd_kafka_AdminOptions_destroy>;
using NewTopicPtr = Owned<rd_kafka_NewTopic_t, rd_kafka_NewTopic_destroy>;
using DeleteTopicPtr = Owned<rd_kafka_DeleteTopic_t, rd_kafka_DeleteTopic_destroy>;
using NewPartitionsPtr = Owned<rd_kafka_NewPartitions_t, rd_kafka_NewPartitions_destroy>;
using ResourcePtr = Owned<rd_kafka_ConfigResource_t, rd_kafka_ConfigResource_destroy>;

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

}  // namespace freshet::cli
