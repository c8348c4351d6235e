#include "cluster/topic_config.h"
#include "protocol/errors.h"
#include "server/broker.h"
#include "server/handlers.h"

namespace freshet::server {

namespace {
using protocol::DescribeConfigsRequest;
using protocol::DescribeConfigsResponse;
using Entry = DescribeConfigsResponse::DescribeConfigsResourceResult;
using cluster::ConfigSource;

constexpr int8_t kTopic = 2;
constexpr int8_t kBroker = 4;

bool wanted(const DescribeConfigsRequest::DescribeConfigsResource& resource, std::string_view name) {
  if (!resource.configuration_keys) return true;
  for (const auto& k : *resource.configuration_keys)
    if (k == name) return true;
  return false;
}

bool is_sensitive(const cluster::ConfigDef& def) { return def.type == cluster::ConfigType::Password; }

void describe_topic(Broker& broker, const DescribeConfigsRequest& req,
                    const DescribeConfigsRequest::DescribeConfigsResource& resource, DescribeConfigsResponse::DescribeConfigsResult& out) {
  auto image = broker.image();
  const cluster::TopicInfo* topic = image->topic(resource.resource_name);
  if (!topic) {
    out.error_code = protocol::code(protocol::ErrorCode::UnknownTopicOrPartition);
    out.error_message = "Topic " + resource.resource_name + " does not exist.";
    return;
  }
  for (const auto& def : cluster::topic_config_defs()) {
    if (!wanted(resource, def.def.name)) continue;
    auto effective = cluster::effective_topic_config(def, topic->configs, broker.config());
    Entry e;
    e.name = def.def.name;
    e.value = effective.value;
    e.is_default = effective.source == ConfigSource::Default;
    e.config_source = static_cast<int8_t>(effective.source);
    e.config_type = static_cast<int8_t>(def.def.type);
    if (req.include_synonyms) {
      // Synonyms in precedence order: topic override, broker setting, default.
      if (auto it = topic->configs.find(def.def.name); it != topic->configs.end())
        e.synonyms.push_back({def.def.name, it->second, static_cast<int8_t>(ConfigSource::DynamicTopic)});
      if (def.broker_key && broker.config().is_set(def.broker_key))
        e.synonyms.push_back({def.broker_key, broker.config().get(def.broker_key), static_cast<int8_t>(ConfigSource::StaticBroker)});
      if (def.broker_key)
        e.synonyms.push_back({def.broker_key, std::string(def.def.default_value), static_cast<int8_t>(ConfigSource::Default)});
    }
    out.configs.push_back(std::move(e));
  }
}

void describe_broker(Broker& broker, const DescribeConfigsRequest& req,
                     const DescribeConfigsRequest::DescribeConfigsResource& resource, DescribeConfigsResponse::DescribeConfigsResult& out) {
  if (!resource.resource_name.empty() && resource.resource_name != std::to_string(broker.node_id())) {
    out.error_code = protocol::code(protocol::ErrorCode::InvalidRequest);
    out.error_message = "Unexpected broker id, expected " + std::to_string(broker.node_id()) + " or empty string, but received " + resource.resource_name;
    return;
  }
  for (const auto& def : cluster::BrokerConfig::known_keys()) {
    if (!wanted(resource, def.name)) continue;
    bool set = broker.config().is_set(def.name);
    Entry e;
    e.name = def.name;
    if (!is_sensitive(def)) e.value = broker.config().get(def.name);
    e.read_only = true;
    e.is_default = !set;
    e.is_sensitive = is_sensitive(def);
    e.config_source = static_cast<int8_t>(set ? ConfigSource::StaticBroker : ConfigSource::Default);
    e.config_type = static_cast<int8_t>(def.type);
    if (req.include_synonyms && set) e.synonyms.push_back({def.name, e.value, e.config_source});
    out.configs.push_back(std::move(e));
  }
}
}  // namespace

void handle_describe_configs(const RequestPtr& request, protocol::Reader& body) {
  DescribeConfigsRequest req;
  req.decode(body, request->version());
  DescribeConfigsResponse resp;
  for (const auto& resource : req.resources) {
    DescribeConfigsResponse::DescribeConfigsResult result;
    result.error_message = std::nullopt;  // Kafka sends null on success
    result.resource_type = resource.resource_type;
    result.resource_name = resource.resource_name;
    if (resource.resource_type == kTopic)
      describe_topic(request->broker, req, resource, result);
    else if (resource.resource_type == kBroker)
      describe_broker(request->broker, req, resource, result);
    else {
      result.error_code = protocol::code(protocol::ErrorCode::InvalidRequest);
      result.error_message = "Unsupported resource type " + std::to_string(resource.resource_type);
    }
    resp.results.push_back(std::move(result));
  }
  request->reply(resp);
}

}  // namespace freshet::server
