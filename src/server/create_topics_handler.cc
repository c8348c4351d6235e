#include <set>

#include "server/controller_calls.h"
#include "server/controller_forwarding.h"
#include "server/handlers.h"

namespace freshet::server {

namespace {
using protocol::CreateTopicsRequest;
using protocol::CreateTopicsResponse;

cluster::NewTopic to_new_topic(const CreateTopicsRequest::CreatableTopic& t) {
  cluster::NewTopic topic;
  topic.name = t.name;
  topic.partitions = t.num_partitions;
  topic.replication_factor = t.replication_factor;
  for (const auto& a : t.assignments) topic.assignments.push_back(a.broker_ids);
  for (const auto& c : t.configs)
    if (c.value) topic.configs[c.name] = *c.value;
  return topic;
}

// The v5+ echo of the created topic's settings and configs.
void describe_created(Broker& broker, CreateTopicsResponse::CreatableTopicResult& result) {
  auto image = broker.image();
  const cluster::TopicInfo* topic = image->topic(result.name);
  if (!topic) return;
  result.topic_id = topic->id;
  result.num_partitions = static_cast<int32_t>(topic->partitions.size());
  result.replication_factor = static_cast<int16_t>(topic->partitions.empty() ? 0 : topic->partitions[0].replicas.size());
  std::vector<CreateTopicsResponse::CreatableTopicConfigs> configs;
  for (const auto& def : cluster::topic_config_defs()) {
    auto effective = cluster::effective_topic_config(def, topic->configs, broker.config());
    CreateTopicsResponse::CreatableTopicConfigs c;
    c.name = def.def.name;
    c.value = effective.value;
    c.config_source = static_cast<int8_t>(effective.source);
    configs.push_back(std::move(c));
  }
  result.configs = std::move(configs);
}
}  // namespace

void handle_create_topics(const RequestPtr& request, protocol::Reader& body) {
  auto req = std::make_shared<CreateTopicsRequest>();
  req->decode(body, request->version());
  const std::shared_ptr<const std::vector<CreateTopicsRequest::CreatableTopic>> topics(req, &req->topics);
  if (forward_to_controller(request, error_per_topic(request, topics, &CreateTopicsResponse::topics))) return;
  call_controller<CreateTopicsResponse>(
      request->broker,
      [req](cluster::Controller& controller) {
        CreateTopicsResponse resp;
        std::set<std::string> seen;
        controller.begin_batch();
        for (const auto& t : req->topics) {
          CreateTopicsResponse::CreatableTopicResult result;
          result.name = t.name;
          cluster::TopicResult outcome;
          if (!seen.insert(t.name).second)
            outcome = {protocol::ErrorCode::InvalidRequest, "Duplicate topic name in request."};
          else
            outcome = controller.create_topic(to_new_topic(t), req->validate_only);
          result.error_code = protocol::code(outcome.error);
          result.error_message = outcome.message_or_null();
          resp.topics.push_back(std::move(result));
        }
        if (auto proposed = controller.end_batch(); proposed.error != protocol::ErrorCode::None) {
          for (auto& result : resp.topics) {
            if (result.error_code != 0) continue;
            result.error_code = protocol::code(proposed.error);
            result.error_message = proposed.message_or_null();
          }
        }
        return resp;
      },
      [request](CreateTopicsResponse resp) {
        for (auto& result : resp.topics)
          if (result.error_code == 0) describe_created(request->broker, result);
        request->reply(resp);
      });
}

}  // namespace freshet::server
