#include "protocol/errors.h"
#include "server/broker.h"
#include "server/handlers.h"

namespace freshet::server {

namespace {
using protocol::ErrorCode;
using protocol::InitProducerIdRequest;
using protocol::InitProducerIdResponse;

void respond(const RequestPtr& request, ErrorCode error, int64_t producer_id, int16_t epoch) {
  InitProducerIdResponse resp;
  resp.error_code = protocol::code(error);
  resp.producer_id = producer_id;
  resp.producer_epoch = epoch;
  request->reply(resp);
}
}  // namespace

// An idempotent producer (no transactional id) always gets a fresh producer id
// at epoch 0, whatever id and epoch it sends (KIP-360: a producer that lost its
// sequence state starts over), as Kafka's TransactionCoordinator does.
void handle_init_producer_id(const RequestPtr& request, protocol::Reader& body) {
  InitProducerIdRequest req;
  req.decode(body, request->version());
  if (req.transactional_id) {
    if (req.transactional_id->empty()) return respond(request, ErrorCode::InvalidRequest, -1, -1);
    return respond(request, ErrorCode::CoordinatorNotAvailable, -1, -1);
  }
  request->broker.producer_ids().next([request](ProducerIdResult result) {
    if (result.error != ErrorCode::None) return respond(request, result.error, -1, -1);
    respond(request, ErrorCode::None, result.producer_id, 0);
  });
}

}  // namespace freshet::server
