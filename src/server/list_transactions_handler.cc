#include <memory>

#include "server/broker.h"
#include "server/clock.h"
#include "server/handlers.h"

namespace freshet::server {

using protocol::ListTransactionsResponse;

// Every shard's coordinator lists its own transactions; the first error
// (COORDINATOR_LOAD_IN_PROGRESS while a partition loads) answers for all.
void handle_list_transactions(const RequestPtr& request, protocol::Reader& body) {
  auto req = std::make_shared<protocol::ListTransactionsRequest>();
  req->decode(body, request->version());
  Broker& broker = request->broker;
  const unsigned shards = static_cast<unsigned>(broker.shards().size());
  auto resp = std::make_shared<ListTransactionsResponse>();
  auto remaining = std::make_shared<unsigned>(shards);
  for (unsigned shard = 0; shard < shards; ++shard) {
    broker.shards().submit_async<ListTransactionsResponse>(
        shard,
        [&broker, req, shard](std::function<void(ListTransactionsResponse)> reply) {
          reply(broker.transactions(shard).coordinator().list_transactions(*req, now_ms()));
        },
        [request, resp, remaining](ListTransactionsResponse part) {
          if (resp->error_code == 0) resp->error_code = part.error_code;
          // Every shard reports the same unknown filters.
          resp->unknown_state_filters = std::move(part.unknown_state_filters);
          for (auto& state : part.transaction_states) resp->transaction_states.push_back(std::move(state));
          if (--*remaining > 0) return;
          if (resp->error_code != 0) resp->transaction_states.clear();
          request->reply(*resp);
        });
  }
}

}  // namespace freshet::server
