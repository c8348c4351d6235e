#include "server/group_calls.h"
#include "server/handlers.h"

namespace freshet::server {

void handle_end_txn(const RequestPtr& request, protocol::Reader& body) {
  auto req = std::make_shared<protocol::EndTxnRequest>();
  req->decode(body, request->version());
  call_transaction<protocol::EndTxnResponse>(
      request, req->transactional_id,
      [req](coordinator::TransactionCoordinator& coordinator, const coordinator::CallContext& context, int32_t partition,
            std::function<void(protocol::EndTxnResponse)> done) {
        coordinator.end_txn(context, partition, *req, std::move(done));
      },
      [] {
        protocol::EndTxnResponse resp;
        resp.error_code = protocol::code(protocol::ErrorCode::NotCoordinator);
        return resp;
      },
      [request](protocol::EndTxnResponse resp) { request->reply(resp); });
}

}  // namespace freshet::server
