// Writing transaction markers the way WriteTxnMarkers does on a partition's
// leader, for the transaction coordinator and for the WriteTxnMarkers API
// (kafka-transactions.sh abort): each partition's COMMIT/ABORT control batch
// is appended on its owner shard and reported once durable; a marker on
// __consumer_offsets then completes the group coordinator's pending
// transactional offsets of that producer.
#pragma once

#include <functional>
#include <vector>

#include "coordinator/txn_ports.h"
#include "protocol/errors.h"

namespace freshet::server {

class Broker;

// done(errors) runs on `reply_shard`, never inside this call; errors[i] is
// marker.partitions[i]'s: None, UNKNOWN_TOPIC_OR_PARTITION, the log's refusal
// (INVALID_PRODUCER_EPOCH, TRANSACTION_COORDINATOR_FENCED, ...) or
// KAFKA_STORAGE_ERROR when the fsync failed.
void write_txn_markers(Broker& broker, unsigned reply_shard, coordinator::TxnMarker marker,
                       std::function<void(std::vector<protocol::ErrorCode>)> done);

}  // namespace freshet::server
