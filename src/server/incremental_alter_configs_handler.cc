#include "server/alter_configs_common.h"
#include "server/controller_calls.h"
#include "server/handlers.h"

namespace freshet::server {

using protocol::IncrementalAlterConfigsRequest;
using protocol::IncrementalAlterConfigsResponse;

void handle_incremental_alter_configs(const RequestPtr& request, protocol::Reader& body) {
  auto req = std::make_shared<IncrementalAlterConfigsRequest>();
  req->decode(body, request->version());
  if (forward_alter_configs<IncrementalAlterConfigsResponse>(request, req)) return;
  call_controller<IncrementalAlterConfigsResponse>(
      request->broker,
      [req, request](cluster::Controller& controller) {
        IncrementalAlterConfigsResponse resp;
        auto repeated = repeated_resources(req->resources);
        for (const auto& resource : req->resources) {
          auto outcome = [&]() -> cluster::TopicResult {
            if (repeated.count({resource.resource_type, resource.resource_name}))
              return {protocol::ErrorCode::InvalidRequest, "Each resource must appear at most once."};
            if (auto wrong = misdirected(resource, *request)) return *wrong;
            auto needs_value = [](const auto& c) { return c.config_operation != static_cast<int8_t>(cluster::ConfigOp::Delete); };
            if (auto check = check_config_list(resource, needs_value); check.error != protocol::ErrorCode::None) return check;
            std::vector<cluster::ConfigChange> changes;
            for (const auto& c : resource.configs) {
              if (c.config_operation < 0 || c.config_operation > 3)
                return {protocol::ErrorCode::InvalidRequest, "Unknown operations type " + std::to_string(c.config_operation)};
              changes.push_back({c.name, static_cast<cluster::ConfigOp>(c.config_operation), c.value});
            }
            return alter_resource(
                resource.resource_type,
                [&] { return controller.alter_topic_configs(resource.resource_name, changes, req->validate_only); },
                [&] { return controller.alter_broker_configs(resource.resource_name, changes, req->validate_only); });
          }();
          resp.responses.push_back(alter_result<IncrementalAlterConfigsResponse::AlterConfigsResourceResponse>(resource, outcome));
        }
        return resp;
      },
      [request](IncrementalAlterConfigsResponse resp) { request->reply(resp); });
}

}  // namespace freshet::server
