// What AlterConfigs and IncrementalAlterConfigs share: resource-type dispatch
// and building the per-resource result.
#pragma once

#include <string>

#include "cluster/controller.h"

namespace freshet::server {

// Topic resources run `alter_topic`; broker resources are static for now
// (dynamic broker configs are not supported yet) and get INVALID_REQUEST.
template <typename Fn>
cluster::TopicResult alter_resource(int8_t resource_type, Fn alter_topic) {
  constexpr int8_t kTopic = 2;
  constexpr int8_t kBroker = 4;
  if (resource_type == kTopic) return alter_topic();
  if (resource_type == kBroker)
    return {protocol::ErrorCode::InvalidRequest, "Dynamic broker configs are not supported; set them in server.properties"};
  return {protocol::ErrorCode::InvalidRequest, "Unsupported resource type " + std::to_string(resource_type)};
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

}  // namespace freshet::server
