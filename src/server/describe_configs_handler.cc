#include "cluster/dynamic_broker_config.h"
#include "cluster/topic_config.h"
#include "protocol/errors.h"
#include "server/broker.h"
#include "server/handlers.h"

namespace freshet::server {

namespace {
using protocol::DescribeConfigsRequest;
using protocol::DescribeConfigsResponse;
using Entry = DescribeConfigsResponse::DescribeConfigsResourceResult;
using Synonym = DescribeConfigsResponse::DescribeConfigsSynonym;
using Resource = DescribeConfigsRequest::DescribeConfigsResource;
using cluster::ConfigSource;

bool wanted(const Resource& resource, std::string_view name) {
  if (!resource.configuration_keys) return true;
  for (const auto& k : *resource.configuration_keys)
    if (k == name) return true;
  return false;
}

bool is_sensitive(const cluster::ConfigDef& def) { return def.type == cluster::ConfigType::Password; }

// Synonyms as the response carries them; sensitive values stay null.
std::vector<Synonym> response_synonyms(const std::vector<cluster::ConfigSynonym>& synonyms, bool sensitive) {
  std::vector<Synonym> out;
  for (const auto& s : synonyms) {
    Synonym synonym;
    synonym.name = s.name;
    synonym.value = sensitive ? std::nullopt : std::optional<std::string>(s.value);
    synonym.source = static_cast<int8_t>(s.source);
    out.push_back(std::move(synonym));
  }
  return out;
}

void fail(DescribeConfigsResponse::DescribeConfigsResult& out, protocol::ErrorCode error, std::string message) {
  out.error_code = protocol::code(error);
  out.error_message = std::move(message);
}

void describe_topic(Broker& broker, const DescribeConfigsRequest& req, const Resource& resource,
                    DescribeConfigsResponse::DescribeConfigsResult& out) {
  auto image = broker.image();
  const cluster::TopicInfo* topic = image->topic(resource.resource_name);
  if (!topic) return fail(out, protocol::ErrorCode::UnknownTopicOrPartition, "Topic " + resource.resource_name + " does not exist.");
  for (const auto& def : cluster::topic_config_defs()) {
    if (!wanted(resource, def.def.name)) continue;
    auto effective = cluster::effective_topic_config(def, topic->configs, broker.config());
    Entry e;
    e.name = def.def.name;
    e.value = effective.value;
    e.is_default = effective.source == ConfigSource::Default;
    e.config_source = static_cast<int8_t>(effective.source);
    e.config_type = static_cast<int8_t>(def.def.type);
    if (req.include_synonyms)
      e.synonyms = response_synonyms(cluster::topic_config_synonyms(def, topic->configs, broker.config()), false);
    out.configs.push_back(std::move(e));
  }
}

// One broker key with `value` as Kafka's ConfigHelper.createBrokerConfigEntry
// reports it; `per_broker` false describes the cluster-default resource "".
Entry broker_entry(const cluster::BrokerConfig& config, const cluster::ConfigDef& def, std::string value, bool per_broker,
                   bool include_synonyms) {
  auto synonyms = config.synonyms(def.name, per_broker);
  Entry e;
  e.name = def.name;
  e.is_sensitive = is_sensitive(def);
  e.value = e.is_sensitive ? std::nullopt : std::optional<std::string>(std::move(value));
  e.config_source = static_cast<int8_t>(synonyms.empty() ? ConfigSource::Default : synonyms.front().source);
  e.is_default = e.config_source == static_cast<int8_t>(ConfigSource::Default);
  e.read_only = !cluster::is_dynamic_broker_config(def.name);
  e.config_type = static_cast<int8_t>(def.type);
  if (include_synonyms) e.synonyms = response_synonyms(synonyms, e.is_sensitive);
  return e;
}

void describe_broker(Broker& broker, const DescribeConfigsRequest& req, const Resource& resource,
                     DescribeConfigsResponse::DescribeConfigsResult& out) {
  const cluster::BrokerConfig& config = broker.config();
  if (resource.resource_name.empty()) {
    // The cluster-wide default resource lists only what is set at that level.
    auto layers = config.dynamic();
    for (const auto& [name, value] : layers->cluster_default)
      if (wanted(resource, name))
        out.configs.push_back(broker_entry(config, *cluster::BrokerConfig::find_key(name), value, false, req.include_synonyms));
    return;
  }
  auto id = cluster::parse_int64(resource.resource_name);
  if (!id) return fail(out, protocol::ErrorCode::InvalidRequest, "Broker id must be an integer, but it is: " + resource.resource_name);
  if (*id != broker.node_id())
    return fail(out, protocol::ErrorCode::InvalidRequest,
                "Unexpected broker id, expected " + std::to_string(broker.node_id()) + " or empty string, but received " +
                    resource.resource_name);
  for (const auto& def : cluster::BrokerConfig::known_keys())
    if (wanted(resource, def.name)) out.configs.push_back(broker_entry(config, def, config.get(def.name), true, req.include_synonyms));
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
    if (resource.resource_type == cluster::kTopicResource)
      describe_topic(request->broker, req, resource, result);
    else if (resource.resource_type == cluster::kBrokerResource)
      describe_broker(request->broker, req, resource, result);
    else
      fail(result, protocol::ErrorCode::InvalidRequest, "Unsupported resource type " + std::to_string(resource.resource_type));
    resp.results.push_back(std::move(result));
  }
  request->reply(resp);
}

}  // namespace freshet::server
