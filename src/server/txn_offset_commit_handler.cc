#include "server/group_calls.h"
#include "server/handlers.h"

namespace freshet::server {

namespace {
using protocol::ErrorCode;
using protocol::TxnOffsetCommitRequest;
using protocol::TxnOffsetCommitResponse;

TxnOffsetCommitResponse failure(const TxnOffsetCommitRequest& req, ErrorCode error) {
  TxnOffsetCommitResponse resp;
  for (const auto& topic : req.topics) {
    auto& out = resp.topics.emplace_back();
    out.name = topic.name;
    for (const auto& p : topic.partitions) out.partitions.push_back({p.partition_index, protocol::code(error)});
  }
  return resp;
}
}  // namespace

// The offsets are written to the group's coordinator in the producer's
// transaction; they count once its commit marker reaches that partition.
void handle_txn_offset_commit(const RequestPtr& request, protocol::Reader& body) {
  auto req = std::make_shared<TxnOffsetCommitRequest>();
  req->decode(body, request->version());
  call_group<TxnOffsetCommitResponse>(
      request, req->group_id,
      [req](coordinator::GroupCoordinator& coordinator, const coordinator::CallContext& context, int32_t partition,
            std::function<void(TxnOffsetCommitResponse)> done) {
        coordinator.txn_commit_offsets(context, partition, *req, std::move(done));
      },
      [req] { return failure(*req, ErrorCode::NotCoordinator); },
      [request](TxnOffsetCommitResponse resp) { request->reply(resp); });
}

}  // namespace freshet::server
