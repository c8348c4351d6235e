#include <memory>

#include "protocol/errors.h"
#include "server/group_calls.h"
#include "server/handlers.h"

namespace freshet::server {

namespace {
using coordinator::AddPartitionsToTxnResult;
using coordinator::AddPartitionsToTxnTransaction;
using protocol::ErrorCode;

// Every partition of `transaction` failing with `error`.
AddPartitionsToTxnResult failed(const AddPartitionsToTxnTransaction& transaction, ErrorCode error) {
  AddPartitionsToTxnResult result;
  result.transactional_id = transaction.transactional_id;
  for (const auto& topic : transaction.topics) {
    auto& out = result.topic_results.emplace_back();
    out.name = topic.name;
    for (int32_t p : topic.partitions) {
      auto& partition = out.results_by_partition.emplace_back();
      partition.partition_index = p;
      partition.partition_error_code = protocol::code(error);
    }
  }
  return result;
}
}  // namespace

// v0-3 carry one transaction (a producer's); v4+ a batch, each transaction
// served by its own coordinator and answered in the order asked.
void handle_add_partitions_to_txn(const RequestPtr& request, protocol::Reader& body) {
  protocol::AddPartitionsToTxnRequest req;
  req.decode(body, request->version());
  std::vector<AddPartitionsToTxnTransaction> transactions;
  if (request->version() < 4)
    transactions.push_back(coordinator::client_transaction(req));
  else
    transactions = std::move(req.transactions);
  const int16_t version = request->version();
  auto results = std::make_shared<std::vector<AddPartitionsToTxnResult>>(transactions.size());
  auto remaining = std::make_shared<size_t>(transactions.size());
  if (transactions.empty()) return request->reply(coordinator::add_partitions_response(version, {}));
  for (size_t i = 0; i < transactions.size(); ++i) {
    auto transaction = std::make_shared<AddPartitionsToTxnTransaction>(std::move(transactions[i]));
    call_transaction<AddPartitionsToTxnResult>(
        request, transaction->transactional_id,
        [transaction](coordinator::TransactionCoordinator& coordinator, const coordinator::CallContext& context,
                      int32_t partition, std::function<void(AddPartitionsToTxnResult)> done) {
          coordinator.add_partitions_to_txn(context, partition, *transaction, std::move(done));
        },
        [transaction] { return failed(*transaction, ErrorCode::NotCoordinator); },
        [request, results, remaining, version, i](AddPartitionsToTxnResult result) {
          (*results)[i] = std::move(result);
          if (--*remaining == 0) request->reply(coordinator::add_partitions_response(version, std::move(*results)));
        });
  }
}

}  // namespace freshet::server
