#include "server/controller_calls.h"
#include "server/controller_forwarding.h"
#include "server/handlers.h"

namespace freshet::server {

using protocol::DeleteTopicsRequest;
using protocol::DeleteTopicsResponse;

// v0-5 name topics; v6 names or ids.
void handle_delete_topics(const RequestPtr& request, protocol::Reader& body) {
  auto req = std::make_shared<DeleteTopicsRequest>();
  req->decode(body, request->version());
  auto answer_error = [request, req](protocol::ErrorCode error, const std::string& message) {
    DeleteTopicsResponse resp;
    auto add = [&](std::optional<std::string> name, protocol::Uuid id) {
      DeleteTopicsResponse::DeletableTopicResult result;
      result.name = std::move(name);
      result.topic_id = id;
      result.error_code = protocol::code(error);
      result.error_message = message;
      resp.responses.push_back(std::move(result));
    };
    for (const auto& name : req->topic_names) add(name, {});
    for (const auto& t : req->topics) add(t.name, t.topic_id);
    request->reply(resp);
  };
  if (forward_to_controller(request, answer_error)) return;
  for (const auto& name : req->topic_names) {
    DeleteTopicsRequest::DeleteTopicState state;
    state.name = name;
    req->topics.push_back(state);
  }
  call_controller<DeleteTopicsResponse>(
      request->broker,
      [req](cluster::Controller& controller) {
        DeleteTopicsResponse resp;
        for (const auto& t : req->topics) {
          DeleteTopicsResponse::DeletableTopicResult result;
          auto image = controller.image();
          const cluster::TopicInfo* topic = t.name ? image->topic(*t.name) : image->topic(t.topic_id);
          result.name = t.name;
          result.topic_id = t.topic_id;
          cluster::TopicResult outcome;
          if (!topic) {
            outcome = {t.name ? protocol::ErrorCode::UnknownTopicOrPartition : protocol::ErrorCode::UnknownTopicId,
                       "This server does not host this topic."};
          } else {
            result.name = topic->name;
            result.topic_id = topic->id;
            outcome = controller.delete_topic(topic->name);
          }
          result.error_code = protocol::code(outcome.error);
          result.error_message = outcome.message_or_null();
          resp.responses.push_back(std::move(result));
        }
        return resp;
      },
      [request](DeleteTopicsResponse resp) { request->reply(resp); });
}

}  // namespace freshet::server
