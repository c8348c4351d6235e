#include "server/controller_calls.h"
#include "server/controller_forwarding.h"
#include "server/handlers.h"

namespace freshet::server {

using protocol::CreatePartitionsRequest;
using protocol::CreatePartitionsResponse;

void handle_create_partitions(const RequestPtr& request, protocol::Reader& body) {
  auto req = std::make_shared<CreatePartitionsRequest>();
  req->decode(body, request->version());
  const std::shared_ptr<const std::vector<CreatePartitionsRequest::CreatePartitionsTopic>> topics(req, &req->topics);
  if (forward_to_controller(request, error_per_topic(request, topics, &CreatePartitionsResponse::results))) return;
  call_controller<CreatePartitionsResponse>(
      request->broker,
      [req](cluster::Controller& controller) {
        CreatePartitionsResponse resp;
        for (const auto& t : req->topics) {
          CreatePartitionsResponse::CreatePartitionsTopicResult result;
          result.name = t.name;
          auto outcome = controller.create_partitions(t.name, t.count, req->validate_only);
          result.error_code = protocol::code(outcome.error);
          result.error_message = outcome.message_or_null();
          resp.results.push_back(std::move(result));
        }
        return resp;
      },
      [request](CreatePartitionsResponse resp) { request->reply(resp); });
}

}  // namespace freshet::server
