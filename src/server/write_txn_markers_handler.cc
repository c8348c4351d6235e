#include <memory>

#include "server/handlers.h"
#include "server/txn_marker_writes.h"

namespace freshet::server {

namespace {
using protocol::WriteTxnMarkersRequest;
using protocol::WriteTxnMarkersResponse;

coordinator::TxnMarker to_marker(const WriteTxnMarkersRequest::WritableTxnMarker& in) {
  coordinator::TxnMarker marker;
  marker.producer_id = in.producer_id;
  marker.producer_epoch = in.producer_epoch;
  marker.coordinator_epoch = in.coordinator_epoch;
  marker.commit = in.transaction_result;
  for (const auto& topic : in.topics) {
    for (int32_t index : topic.partition_indexes) marker.partitions.push_back({topic.name, index});
  }
  return marker;
}

// The marker's per-partition errors, grouped back by topic as the request named them.
WriteTxnMarkersResponse::WritableTxnMarkerResult to_result(const WriteTxnMarkersRequest::WritableTxnMarker& in,
                                                           const std::vector<protocol::ErrorCode>& errors) {
  WriteTxnMarkersResponse::WritableTxnMarkerResult out;
  out.producer_id = in.producer_id;
  size_t next = 0;
  for (const auto& topic : in.topics) {
    auto& topic_out = out.topics.emplace_back();
    topic_out.name = topic.name;
    for (int32_t index : topic.partition_indexes) {
      auto& partition = topic_out.partitions.emplace_back();
      partition.partition_index = index;
      partition.error_code = protocol::code(errors[next++]);
    }
  }
  return out;
}
}  // namespace

// Writes each marker to the partitions it names, as a partition leader does
// for the transaction coordinator; Apache Kafka's Admin.abortTransaction
// (kafka-transactions.sh abort) sends it to end a hanging transaction. The
// log checks the producer epoch and the coordinator epoch of each marker.
// Authorization (CLUSTER_ACTION) comes with ACLs.
void handle_write_txn_markers(const RequestPtr& request, protocol::Reader& body) {
  auto req = std::make_shared<WriteTxnMarkersRequest>();
  req->decode(body, request->version());
  auto resp = std::make_shared<WriteTxnMarkersResponse>();
  resp->markers.resize(req->markers.size());
  auto remaining = std::make_shared<size_t>(req->markers.size());
  if (*remaining == 0) return request->reply(*resp);
  for (size_t i = 0; i < req->markers.size(); ++i) {
    write_txn_markers(request->broker, request->shard, to_marker(req->markers[i]),
                      [request, req, resp, remaining, i](std::vector<protocol::ErrorCode> errors) {
                        resp->markers[i] = to_result(req->markers[i], errors);
                        if (--*remaining == 0) request->reply(*resp);
                      });
  }
}

}  // namespace freshet::server
