// AllocateProducerIds: a broker asking the active controller for its next
// block of producer ids (answered once the block's record is committed).
#include "server/broker.h"
#include "server/controller_calls.h"
#include "server/handlers.h"

namespace freshet::server {

void handle_allocate_producer_ids(const RequestPtr& request, protocol::Reader& body) {
  protocol::AllocateProducerIdsRequest req;
  req.decode(body, request->version());
  call_controller<protocol::AllocateProducerIdsResponse>(
      request->broker,
      [req](cluster::Controller& controller) {
        auto block = controller.allocate_producer_ids(req.broker_id, req.broker_epoch);
        protocol::AllocateProducerIdsResponse response;
        response.error_code = protocol::code(block.error);
        response.producer_id_start = block.first_id;
        response.producer_id_len = block.size;
        return response;
      },
      [request](protocol::AllocateProducerIdsResponse response) { request->reply(response); });
}

}  // namespace freshet::server
