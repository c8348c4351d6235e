#include "server/broker.h"
#include "server/handlers.h"
#include "server/live_brokers.h"

namespace freshet::server {

void handle_describe_cluster(const RequestPtr& request, protocol::Reader& body) {
  protocol::DescribeClusterRequest req;
  req.decode(body, request->version());
  Broker& broker = request->broker;
  protocol::DescribeClusterResponse resp;
  resp.cluster_id = broker.cluster_id();
  resp.controller_id = broker.controller_for_clients();
  resp.endpoint_type = req.endpoint_type;
  for (const auto& live : live_broker_endpoints(*broker.image(), request->listener)) {
    protocol::DescribeClusterResponse::DescribeClusterBroker b;
    b.broker_id = live.id;
    b.host = live.host;
    b.port = live.port;
    b.rack = live.rack;
    resp.brokers.push_back(std::move(b));
  }
  request->reply(resp);
}

}  // namespace freshet::server
