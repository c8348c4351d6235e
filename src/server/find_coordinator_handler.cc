#include "cluster/internal_topics.h"
#include "protocol/errors.h"
#include "server/broker.h"
#include "server/handlers.h"
#include "server/internal_topic.h"
#include "server/offsets_topic.h"
#include "server/transaction_topic.h"

namespace freshet::server {

namespace {
using protocol::ErrorCode;
using protocol::FindCoordinatorRequest;
using protocol::FindCoordinatorResponse;

constexpr int8_t kGroupKey = 0;
constexpr int8_t kTransactionKey = 1;

FindCoordinatorResponse::Coordinator locate(const Request& request, int8_t key_type, const std::string& key,
                                            ErrorCode topic_error) {
  Broker& broker = request.broker;
  FindCoordinatorResponse::Coordinator out;
  out.key = key;
  out.error_message = std::nullopt;
  auto fail = [&](ErrorCode error, std::string message) {
    out.node_id = -1;
    out.host = "";
    out.port = -1;
    out.error_code = protocol::code(error);
    out.error_message = std::move(message);
    return out;
  };
  if (key_type != kGroupKey && key_type != kTransactionKey) return fail(ErrorCode::InvalidRequest, "unknown coordinator key type");
  if (topic_error != ErrorCode::None)
    return fail(topic_error, key_type == kGroupKey ? "the group coordinator is not available"
                                                   : "the transaction coordinator is not available");
  // The coordinator is the leader of the internal topic's partition for the key.
  auto image = broker.image();
  const std::string_view topic_name =
      key_type == kGroupKey ? cluster::kOffsetsTopicName : cluster::kTransactionStateTopicName;
  auto route = route_coordinator_key(broker, *image, topic_name, key);
  const cluster::BrokerInfo* leader =
      route ? image->broker(image->topic(topic_name)->partitions[static_cast<size_t>(route->partition)].leader) : nullptr;
  const auto* endpoint = leader && !leader->fenced ? leader->endpoint(request.listener) : nullptr;
  if (!endpoint) return fail(ErrorCode::CoordinatorNotAvailable, "the coordinator's broker is not available");
  out.node_id = leader->id;
  out.host = endpoint->host;
  out.port = endpoint->port;
  return out;
}

void respond(const RequestPtr& request, const FindCoordinatorRequest& req, ErrorCode topic_error) {
  FindCoordinatorResponse resp;
  if (request->version() >= 4) {
    for (const auto& key : req.coordinator_keys)
      resp.coordinators.push_back(locate(*request, req.key_type, key, topic_error));
    return request->reply(resp);
  }
  auto found = locate(*request, req.key_type, req.key, topic_error);
  resp.error_code = found.error_code;
  resp.error_message = found.error_message;
  resp.node_id = found.node_id;
  resp.host = found.host;
  resp.port = found.port;
  request->reply(resp);
}
}  // namespace

// A group or transactional id is coordinated by the broker leading its
// partition of __consumer_offsets or __transaction_state; asking for one
// creates the topic first, as Kafka does.
void handle_find_coordinator(const RequestPtr& request, protocol::Reader& body) {
  auto req = std::make_shared<FindCoordinatorRequest>();
  req->decode(body, request->version());
  auto answer = [request, req](ErrorCode error) { respond(request, *req, error); };
  if (req->key_type == kGroupKey) return ensure_offsets_topic(request->broker, answer);
  if (req->key_type == kTransactionKey) return ensure_transaction_topic(request->broker, answer);
  respond(request, *req, ErrorCode::None);
}

}  // namespace freshet::server
