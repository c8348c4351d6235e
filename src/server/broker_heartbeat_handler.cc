// BrokerHeartbeat: a registered broker keeping its session with the active
// controller, or asking to be fenced before it shuts down.
#include "cluster/clock.h"
#include "server/broker.h"
#include "server/controller_calls.h"
#include "server/handlers.h"

namespace freshet::server {

void handle_broker_heartbeat(const RequestPtr& request, protocol::Reader& body) {
  protocol::BrokerHeartbeatRequest req;
  req.decode(body, request->version());
  call_controller<protocol::BrokerHeartbeatResponse>(
      request->broker,
      [&broker = request->broker, connection_id = request->connection_id,
       heartbeat = cluster::BrokerHeartbeat{req.broker_id, req.broker_epoch, req.want_shut_down}](cluster::Controller& c) {
        auto result = c.heartbeat(heartbeat, cluster::monotonic_ms());
        if (result.error == protocol::ErrorCode::None && !result.fenced && broker.duties())
          broker.duties()->heard_from(heartbeat.broker_id, heartbeat.broker_epoch, connection_id);
        protocol::BrokerHeartbeatResponse response;
        response.error_code = protocol::code(result.error);
        response.is_caught_up = true;
        response.is_fenced = result.fenced;
        response.should_shut_down = result.should_shut_down;
        return response;
      },
      [request](protocol::BrokerHeartbeatResponse response) { request->reply(response); });
}

}  // namespace freshet::server
