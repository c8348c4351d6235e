// BrokerRegistration: a broker joining the cluster, on the active controller.
#include "cluster/clock.h"
#include "server/broker.h"
#include "server/broker_membership.h"
#include "server/controller_calls.h"
#include "server/handlers.h"

namespace freshet::server {

void handle_broker_registration(const RequestPtr& request, protocol::Reader& body) {
  protocol::BrokerRegistrationRequest req;
  req.decode(body, request->version());
  if (req.cluster_id != request->broker.cluster_id()) {
    protocol::BrokerRegistrationResponse refused;
    refused.error_code = protocol::code(protocol::ErrorCode::InconsistentClusterId);
    return request->reply(refused);
  }
  call_controller<protocol::BrokerRegistrationResponse>(
      request->broker,
      [&broker = request->broker, connection_id = request->connection_id,
       registration = registration_of(req)](cluster::Controller& controller) {
        auto result = controller.register_broker(registration, cluster::monotonic_ms());
        if (result.error == protocol::ErrorCode::None && broker.duties())
          broker.duties()->heard_from(registration.broker_id, result.broker_epoch, connection_id);
        protocol::BrokerRegistrationResponse response;
        response.error_code = protocol::code(result.error);
        response.broker_epoch = result.broker_epoch;
        return response;
      },
      [request](protocol::BrokerRegistrationResponse response) { request->reply(response); });
}

}  // namespace freshet::server
