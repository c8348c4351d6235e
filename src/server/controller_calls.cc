#include "server/controller_calls.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace freshet::server {

namespace {
protocol::CreateTopicsRequest create_topics_request(const cluster::NewTopic& topic) {
  protocol::CreateTopicsRequest request;
  protocol::CreateTopicsRequest::CreatableTopic t;
  t.name = topic.name;
  t.num_partitions = topic.partitions;
  t.replication_factor = topic.replication_factor;
  for (const auto& [name, value] : topic.configs) {
    protocol::CreateTopicsRequest::CreatableTopicConfig config;
    config.name = name;
    config.value = value;
    t.configs.push_back(std::move(config));
  }
  request.topics.push_back(std::move(t));
  request.timeout_ms = 30000;
  return request;
}
}  // namespace

void create_topic_on_controller(Broker& broker, cluster::NewTopic topic, std::function<void(cluster::TopicResult)> done) {
  broker.shards().submit_async<cluster::TopicResult>(
      broker.shards().control_shard(),
      [&broker, topic = std::move(topic)](std::function<void(cluster::TopicResult)> reply) {
        auto request = create_topics_request(topic);
        on_active_controller<cluster::TopicResult, protocol::CreateTopicsResponse>(
            broker,
            [topic](cluster::Controller& c) {
              return c.create_topic(topic, false);
            },
            request,
            [](const protocol::CreateTopicsResponse& response) {
              if (response.topics.empty()) return cluster::TopicResult{protocol::ErrorCode::UnknownServerError, "no answer"};
              const auto& t = response.topics.front();
              return cluster::TopicResult{static_cast<protocol::ErrorCode>(t.error_code), t.error_message.value_or("")};
            },
            cluster::TopicResult{protocol::ErrorCode::NotController, "no active controller answered"}, std::move(reply));
      },
      std::move(done));
}

void create_topics_with_defaults(Broker& broker, std::vector<std::string> names, std::function<void()> done) {
  auto remaining = std::make_shared<size_t>(names.size());
  for (const auto& name : names) {
    cluster::NewTopic topic;
    topic.name = name;
    create_topic_on_controller(broker, topic, [name, remaining, done](cluster::TopicResult result) {
      if (result.error != protocol::ErrorCode::None && result.error != protocol::ErrorCode::TopicAlreadyExists)
        spdlog::warn("auto-creating topic {} failed: {}", name, result.message);
      if (--*remaining == 0) done();
    });
  }
}

}  // namespace freshet::server
