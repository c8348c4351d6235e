// What AlterConfigs and IncrementalAlterConfigs share: Kafka's per-resource
// preprocessing (ConfigAdminManager.preprocess: each resource at most once,
// no duplicate keys, no null values, a BROKER resource sent to that broker),
// the resource-type dispatch, building the per-resource result, and
// forwarding to the active controller.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cluster/controller.h"
#include "server/broker.h"
#include "server/controller_forwarding.h"

namespace freshet::server {

// Resources named more than once in `resources`; Kafka answers each
// occurrence INVALID_REQUEST and alters none of them.
template <typename Resource>
std::set<std::pair<int8_t, std::string>> repeated_resources(const std::vector<Resource>& resources) {
  std::map<std::pair<int8_t, std::string>, int> seen;
  std::set<std::pair<int8_t, std::string>> repeated;
  for (const auto& r : resources)
    if (++seen[{r.resource_type, r.resource_name}] > 1) repeated.insert({r.resource_type, r.resource_name});
  return repeated;
}

// Kafka's checks of one resource's config list: no key twice, and a value
// for every key whose operation needs one (`needs_value(config)`).
template <typename Resource, typename NeedsValue>
cluster::TopicResult check_config_list(const Resource& resource, NeedsValue needs_value) {
  std::set<std::string> names;
  std::string missing;
  for (const auto& c : resource.configs) {
    if (!names.insert(c.name).second) return {protocol::ErrorCode::InvalidRequest, "Error due to duplicate config keys"};
    if (!c.value && needs_value(c)) missing += (missing.empty() ? "" : ", ") + c.name;
  }
  if (!missing.empty()) return {protocol::ErrorCode::InvalidRequest, "Null value not supported for : " + missing};
  return {};
}

// Runs `alter_topic` for TOPIC resources and `alter_broker` for BROKER ones;
// other types get Kafka's INVALID_REQUEST.
template <typename AlterTopic, typename AlterBroker>
cluster::TopicResult alter_resource(int8_t resource_type, AlterTopic alter_topic, AlterBroker alter_broker) {
  if (resource_type == cluster::kTopicResource) return alter_topic();
  if (resource_type == cluster::kBrokerResource) return alter_broker();
  return {protocol::ErrorCode::InvalidRequest, "Unknown resource type " + std::to_string(resource_type)};
}

// Kafka checks on the broker a client chose that a BROKER resource names
// that broker (or is "", the cluster default): the error for one that does
// not. A controller listener takes any broker's (what brokers forward).
template <typename Resource>
std::optional<cluster::TopicResult> misdirected(const Resource& resource, const Request& request) {
  const std::string self = std::to_string(request.broker.node_id());
  if (resource.resource_type != cluster::kBrokerResource || resource.resource_name.empty() ||
      resource.resource_name == self || request.broker.config().is_controller_listener(request.listener))
    return std::nullopt;
  if (resource.resource_name.find_first_not_of("-0123456789") != std::string::npos) return std::nullopt;  // the controller's to refuse
  return cluster::TopicResult{protocol::ErrorCode::InvalidRequest,
                              "Unexpected broker id, expected " + self + ", but received " + resource.resource_name};
}

template <typename Result, typename Resource>
Result alter_result(const Resource& resource, const cluster::TopicResult& outcome) {
  Result result;
  result.resource_type = resource.resource_type;
  result.resource_name = resource.resource_name;
  result.error_code = protocol::code(outcome.error);
  result.error_message = outcome.message_or_null();
  return result;
}

// Sends the request to the active controller when this node is not it and
// no resource is misdirected (then this node answers, resource by resource).
template <typename Response, typename AlterRequest>
bool forward_alter_configs(const RequestPtr& request, const std::shared_ptr<AlterRequest>& req) {
  for (const auto& resource : req->resources)
    if (misdirected(resource, *request)) return false;
  return forward_to_controller(request, [request, req](protocol::ErrorCode error, const std::string& message) {
    Response resp;
    for (const auto& resource : req->resources)
      resp.responses.push_back(
          alter_result<typename decltype(resp.responses)::value_type>(resource, cluster::TopicResult{error, message}));
    request->reply(resp);
  });
}

}  // namespace freshet::server
