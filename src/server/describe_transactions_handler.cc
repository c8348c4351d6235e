#include <memory>

#include "server/group_calls.h"
#include "server/handlers.h"

namespace freshet::server {

using TransactionState = protocol::DescribeTransactionsResponse::TransactionState;

// Each transactional id is described by its coordinator; answers in the order asked.
void handle_describe_transactions(const RequestPtr& request, protocol::Reader& body) {
  protocol::DescribeTransactionsRequest req;
  req.decode(body, request->version());
  auto resp = std::make_shared<protocol::DescribeTransactionsResponse>();
  resp->transaction_states.resize(req.transactional_ids.size());
  auto remaining = std::make_shared<size_t>(req.transactional_ids.size());
  if (req.transactional_ids.empty()) return request->reply(*resp);
  for (size_t i = 0; i < req.transactional_ids.size(); ++i) {
    const std::string id = req.transactional_ids[i];
    call_transaction<TransactionState>(
        request, id,
        [id](coordinator::TransactionCoordinator& coordinator, const coordinator::CallContext&, int32_t partition,
             std::function<void(TransactionState)> done) { done(coordinator.describe_transaction(partition, id)); },
        [id] {
          TransactionState state;
          state.transactional_id = id;
          state.error_code = protocol::code(protocol::ErrorCode::NotCoordinator);
          return state;
        },
        [request, resp, remaining, i](TransactionState state) {
          resp->transaction_states[i] = std::move(state);
          if (--*remaining == 0) request->reply(*resp);
        });
  }
}

}  // namespace freshet::server
