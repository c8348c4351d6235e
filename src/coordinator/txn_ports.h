// What the transaction coordinator needs from the broker, implemented by the
// server: the __transaction_state partitions, producer ids, and the data
// partitions that receive the transactions' end markers. Every `done` runs
// later on the calling shard, never inside the call that takes it, and
// exactly once.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "coordinator/stored_record.h"
#include "coordinator/topic_partition.h"
#include "protocol/errors.h"

namespace freshet::coordinator {

class TxnLogStore {
 public:
  virtual ~TxnLogStore() = default;
  // Appends `records` as one uncompressed batch to __transaction_state
  // partition `partition` and calls done(None) once they are durable
  // (acks=all), or done(error) with the append's error (NOT_LEADER_OR_FOLLOWER,
  // NOT_ENOUGH_REPLICAS, REQUEST_TIMED_OUT, MESSAGE_TOO_LARGE, ...), which the
  // coordinator turns into the error its clients understand.
  virtual void append(int32_t partition, std::vector<StoredRecord> records,
                      std::function<void(protocol::ErrorCode)> done) = 0;
};

struct NewProducerId {
  protocol::ErrorCode error = protocol::ErrorCode::None;
  int64_t producer_id = -1;  // set when error is None
};

class ProducerIdSource {
 public:
  virtual ~ProducerIdSource() = default;
  // The next producer id never handed out before, or the error a client
  // should see (COORDINATOR_LOAD_IN_PROGRESS while no block is available).
  virtual void next_producer_id(std::function<void(NewProducerId)> done) = 0;
};

// One WriteTxnMarkers entry: the end of producer_id's transaction.
struct TxnMarker {
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t coordinator_epoch = 0;  // the __transaction_state partition's leader epoch
  bool commit = false;
  std::vector<TopicPartition> partitions;
};

class TxnMarkerWriter {
 public:
  virtual ~TxnMarkerWriter() = default;
  // Whether `partition` exists in the cluster metadata (Kafka: has a
  // leader). AddPartitionsToTxn refuses partitions that do not, and markers
  // are not written to them (their topic was deleted).
  virtual bool partition_exists(const TopicPartition& partition) const = 0;
  // Writes the marker's control batch to each of its partitions, as a
  // WriteTxnMarkers request does, and calls done with one error per
  // partition, in the order of marker.partitions (None: written, durable).
  virtual void write_markers(TxnMarker marker, std::function<void(std::vector<protocol::ErrorCode>)> done) = 0;
};

}  // namespace freshet::coordinator
