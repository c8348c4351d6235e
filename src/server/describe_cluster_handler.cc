#include <fmt/format.h>

#include "server/broker.h"
#include "server/handlers.h"
#include "server/live_brokers.h"

namespace freshet::server {

namespace {
using protocol::DescribeClusterResponse;

// KIP-919's endpoint types: brokers answer for brokers on their client
// listeners, controllers for controllers on controller.listener.names.
constexpr int8_t kBrokerEndpoints = 1;
constexpr int8_t kControllerEndpoints = 2;

const char* endpoint_type_name(int8_t type) { return type == kBrokerEndpoints ? "broker" : "controller"; }

void add_brokers(const Broker& broker, const std::string& listener, DescribeClusterResponse& resp) {
  resp.controller_id = broker.controller_for_clients();
  for (const auto& live : live_broker_endpoints(*broker.image(), listener)) {
    DescribeClusterResponse::DescribeClusterBroker b;
    b.broker_id = live.id;
    b.host = live.host;
    b.port = live.port;
    b.rack = live.rack;
    resp.brokers.push_back(std::move(b));
  }
}

// The quorum's voters, and its leader as the controller. On the control shard.
void add_controllers(const Broker& broker, DescribeClusterResponse& resp) {
  resp.controller_id = broker.active_controller();
  for (const auto& voter : broker.quorum_voters()) {
    DescribeClusterResponse::DescribeClusterBroker b;
    b.broker_id = voter.id;
    b.host = voter.host;
    b.port = voter.port;
    resp.brokers.push_back(std::move(b));
  }
}
}  // namespace

void handle_describe_cluster(const RequestPtr& request, protocol::Reader& body) {
  protocol::DescribeClusterRequest req;
  req.decode(body, request->version());
  Broker& broker = request->broker;
  DescribeClusterResponse resp;
  resp.cluster_id = broker.cluster_id();
  resp.endpoint_type = req.endpoint_type;
  const int8_t served = broker.config().is_controller_listener(request->listener) ? kControllerEndpoints : kBrokerEndpoints;
  if (req.endpoint_type != kBrokerEndpoints && req.endpoint_type != kControllerEndpoints) {
    resp.error_code = protocol::code(protocol::ErrorCode::UnsupportedEndpointType);
    resp.error_message = "Unsupported endpoint type " + std::to_string(req.endpoint_type);
  } else if (req.endpoint_type != served) {
    resp.error_code = protocol::code(protocol::ErrorCode::MismatchedEndpointType);
    resp.error_message = fmt::format("The request was sent to an endpoint of type {}, but we wanted an endpoint of type {}",
                                     endpoint_type_name(served), endpoint_type_name(req.endpoint_type));
  } else if (served == kControllerEndpoints) {
    broker.shards().submit(
        broker.shards().control_shard(),
        [&broker, resp]() mutable {
          add_controllers(broker, resp);
          return resp;
        },
        [request](DescribeClusterResponse answer) { request->reply(answer); });
    return;
  } else {
    add_brokers(broker, request->listener, resp);
  }
  request->reply(resp);
}

}  // namespace freshet::server
