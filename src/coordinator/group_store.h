// Where the group coordinator makes its state durable: the __consumer_offsets
// partitions. Implemented by the server over the real partition logs.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "coordinator/stored_record.h"
#include "protocol/errors.h"

namespace freshet::coordinator {

// The producer whose transaction a batch belongs to (TxnOffsetCommit): the
// batch is written transactional, under its id and epoch.
struct TransactionalProducer {
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  // The log's token that the transaction coordinator confirmed this
  // partition is in the producer's ongoing transaction (KIP-890), handed in
  // by the server with TxnOffsetCommit; 0: none.
  uint64_t verification_guard = 0;
};

class GroupStore {
 public:
  virtual ~GroupStore() = default;
  // Appends `records` as one batch to __consumer_offsets partition
  // `partition` (transactional when `producer` is set) and calls done(None)
  // once they are durable (acks=all), or done(error) with the Kafka error the
  // coordinator should answer with (e.g. COORDINATOR_NOT_AVAILABLE,
  // NOT_COORDINATOR, INVALID_PRODUCER_EPOCH). `done` runs later, on the
  // calling shard, never inside append().
  virtual void append(int32_t partition, std::vector<StoredRecord> records,
                      std::optional<TransactionalProducer> producer, std::function<void(protocol::ErrorCode)> done) = 0;
};

}  // namespace freshet::coordinator
