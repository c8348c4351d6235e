#include "server/controller_forwarding.h"

#include "server/broker.h"

namespace freshet::server {

namespace {
// As Kafka's request.timeout.ms: a creation waits for the commit and for the
// controller's shards to open its partitions.
constexpr int64_t kForwardTimeoutMs = 30000;
}  // namespace

bool forward_to_controller(const RequestPtr& request) {
  Broker& broker = request->broker;
  const int32_t controller = broker.active_controller();
  if (controller == -1 || controller == broker.node_id() || broker.config().is_controller_listener(request->listener))
    return false;
  broker.shards().post(0, [request, controller] {
    PeerClient* client = request->broker.forwarding_channel().client(controller);
    if (!client) return request->fail("no connection to the active controller for a forwarded request");
    std::vector<uint8_t> body(request->frame->begin() + static_cast<std::ptrdiff_t>(request->body_offset),
                              request->frame->end());
    client->send(request->header.request_api_key, request->version(), std::move(body), kForwardTimeoutMs,
                 [request](std::optional<std::vector<uint8_t>> answer, size_t body_offset) {
                   request->broker.shards().post(request->shard, [request, answer = std::move(answer), body_offset] {
                     if (!answer) return request->fail("the active controller did not answer a forwarded request");
                     request->reply_encoded(std::span<const uint8_t>(*answer).subspan(body_offset));
                   });
                 });
  });
  return true;
}

}  // namespace freshet::server
