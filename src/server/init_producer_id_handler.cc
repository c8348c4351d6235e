#include "protocol/errors.h"
#include "server/broker.h"
#include "server/group_calls.h"
#include "server/handlers.h"

namespace freshet::server {

namespace {
using protocol::ErrorCode;
using protocol::InitProducerIdRequest;
using protocol::InitProducerIdResponse;

InitProducerIdResponse failure(ErrorCode error) {
  InitProducerIdResponse resp;
  resp.error_code = protocol::code(error);
  resp.producer_id = -1;
  resp.producer_epoch = -1;
  return resp;
}
}  // namespace

// An idempotent producer (no transactional id) always gets a fresh producer id
// at epoch 0, whatever id and epoch it sends (KIP-360: a producer that lost its
// sequence state starts over), as Kafka's TransactionCoordinator does. A
// transactional one is served by its transactional id's coordinator.
void handle_init_producer_id(const RequestPtr& request, protocol::Reader& body) {
  auto req = std::make_shared<InitProducerIdRequest>();
  req->decode(body, request->version());
  auto reply = [request](InitProducerIdResponse resp) { request->reply(resp); };
  if (!req->transactional_id) {
    return request->broker.producer_ids().next([reply](ProducerIdResult result) {
      if (result.error != ErrorCode::None) return reply(failure(result.error));
      InitProducerIdResponse resp;
      resp.producer_id = result.producer_id;
      resp.producer_epoch = 0;
      reply(resp);
    });
  }
  if (req->transactional_id->empty()) return reply(failure(ErrorCode::InvalidRequest));
  call_transaction<InitProducerIdResponse>(
      request, *req->transactional_id,
      [req](coordinator::TransactionCoordinator& coordinator, const coordinator::CallContext& context,
            int32_t partition, std::function<void(InitProducerIdResponse)> done) {
        coordinator.init_producer_id(context, partition, *req, std::move(done));
      },
      [] { return failure(ErrorCode::NotCoordinator); }, reply);
}

}  // namespace freshet::server
