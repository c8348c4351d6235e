#include "server/alter_configs_common.h"
#include "server/controller_calls.h"
#include "server/handlers.h"

namespace freshet::server {

using protocol::IncrementalAlterConfigsRequest;
using protocol::IncrementalAlterConfigsResponse;

void handle_incremental_alter_configs(const RequestPtr& request, protocol::Reader& body) {
  auto req = std::make_shared<IncrementalAlterConfigsRequest>();
  req->decode(body, request->version());
  call_controller<IncrementalAlterConfigsResponse>(
      request->broker,
      [req](cluster::Controller& controller) {
        IncrementalAlterConfigsResponse resp;
        for (const auto& resource : req->resources) {
          std::vector<cluster::ConfigChange> changes;
          bool valid_ops = true;
          for (const auto& c : resource.configs) {
            if (c.config_operation < 0 || c.config_operation > 3) valid_ops = false;
            changes.push_back({c.name, static_cast<cluster::ConfigOp>(c.config_operation), c.value});
          }
          auto outcome = alter_resource(resource.resource_type, [&]() -> cluster::TopicResult {
            if (!valid_ops) return {protocol::ErrorCode::InvalidRequest, "Unknown config operation."};
            return controller.alter_topic_configs(resource.resource_name, changes, req->validate_only);
          });
          resp.responses.push_back(alter_result<IncrementalAlterConfigsResponse::AlterConfigsResourceResponse>(resource, outcome));
        }
        return resp;
      },
      [request](IncrementalAlterConfigsResponse resp) { request->reply(resp); });
}

}  // namespace freshet::server
