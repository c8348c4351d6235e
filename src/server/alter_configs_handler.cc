#include "server/alter_configs_common.h"
#include "server/controller_calls.h"
#include "server/handlers.h"

namespace freshet::server {

using protocol::AlterConfigsRequest;
using protocol::AlterConfigsResponse;

// Non-incremental: the request's configs replace every dynamic config of the
// resource (a config left out returns to its default).
void handle_alter_configs(const RequestPtr& request, protocol::Reader& body) {
  auto req = std::make_shared<AlterConfigsRequest>();
  req->decode(body, request->version());
  if (forward_alter_configs<AlterConfigsResponse>(request, req)) return;
  call_controller<AlterConfigsResponse>(
      request->broker,
      [req, request](cluster::Controller& controller) {
        AlterConfigsResponse resp;
        auto repeated = repeated_resources(req->resources);
        for (const auto& resource : req->resources) {
          auto outcome = [&]() -> cluster::TopicResult {
            if (repeated.count({resource.resource_type, resource.resource_name}))
              return {protocol::ErrorCode::InvalidRequest, "Each resource must appear at most once."};
            if (auto wrong = misdirected(resource, *request)) return *wrong;
            if (auto check = check_config_list(resource, [](const auto&) { return true; }); check.error != protocol::ErrorCode::None)
              return check;
            cluster::ConfigMap configs;
            for (const auto& c : resource.configs) configs[c.name] = *c.value;
            return alter_resource(
                resource.resource_type,
                [&] { return controller.replace_topic_configs(resource.resource_name, configs, req->validate_only); },
                [&] { return controller.replace_broker_configs(resource.resource_name, configs, req->validate_only); });
          }();
          resp.responses.push_back(alter_result<AlterConfigsResponse::AlterConfigsResourceResponse>(resource, outcome));
        }
        return resp;
      },
      [request](AlterConfigsResponse resp) { request->reply(resp); });
}

}  // namespace freshet::server
