#include "server/broker.h"
#include "server/handlers.h"

namespace freshet::server {

void handle_describe_cluster(const RequestPtr& request, protocol::Reader& body) {
  protocol::DescribeClusterRequest req;
  req.decode(body, request->version());
  Broker& broker = request->broker;
  protocol::DescribeClusterResponse resp;
  resp.cluster_id = broker.cluster_id();
  resp.controller_id = broker.node_id();
  resp.endpoint_type = req.endpoint_type;
  auto endpoint = broker.config().advertised_listener(request->listener);
  protocol::DescribeClusterResponse::DescribeClusterBroker b;
  b.broker_id = broker.node_id();
  b.host = endpoint.host;
  b.port = endpoint.port;
  if (!broker.config().get("broker.rack").empty()) b.rack = broker.config().get("broker.rack");
  resp.brokers.push_back(std::move(b));
  request->reply(resp);
}

}  // namespace freshet::server
