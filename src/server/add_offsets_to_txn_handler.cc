#include "server/group_calls.h"
#include "server/handlers.h"

namespace freshet::server {

// Adds the group's __consumer_offsets partition to the transaction, counted
// as the topic has it (or as it will be created).
void handle_add_offsets_to_txn(const RequestPtr& request, protocol::Reader& body) {
  auto req = std::make_shared<protocol::AddOffsetsToTxnRequest>();
  req->decode(body, request->version());
  Broker& broker = request->broker;
  const cluster::TopicInfo* offsets = broker.image()->topic(kOffsetsTopic);
  const auto partitions = offsets ? static_cast<int32_t>(offsets->partitions.size())
                                  : static_cast<int32_t>(broker.config().get_int("offsets.topic.num.partitions"));
  call_transaction<protocol::AddOffsetsToTxnResponse>(
      request, req->transactional_id,
      [req, partitions](coordinator::TransactionCoordinator& coordinator, const coordinator::CallContext& context,
                        int32_t partition, std::function<void(protocol::AddOffsetsToTxnResponse)> done) {
        coordinator.add_offsets_to_txn(context, partition, *req, partitions, std::move(done));
      },
      [] {
        protocol::AddOffsetsToTxnResponse resp;
        resp.error_code = protocol::code(protocol::ErrorCode::NotCoordinator);
        return resp;
      },
      [request](protocol::AddOffsetsToTxnResponse resp) { request->reply(resp); });
}

}  // namespace freshet::server
