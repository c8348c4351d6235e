// How a failed KIP-890 verification (the transaction coordinator's answer to
// "is this partition in the producer's ongoing transaction?") reaches the
// client, as Kafka's AddPartitionsToTxnManager words it: a coordinator that
// cannot answer yet becomes the request's retriable error (`retriable`:
// NOT_ENOUGH_REPLICAS for Produce, COORDINATOR_LOAD_IN_PROGRESS for
// TxnOffsetCommit), a partition outside the transaction INVALID_TXN_STATE
// (clients of these versions know no TRANSACTION_ABORTABLE), a fenced
// producer INVALID_PRODUCER_EPOCH.
#pragma once

#include "protocol/errors.h"

namespace freshet::server {

inline protocol::ErrorCode verification_error(protocol::ErrorCode error, protocol::ErrorCode retriable) {
  using protocol::ErrorCode;
  switch (error) {
    case ErrorCode::NotCoordinator:
    case ErrorCode::CoordinatorNotAvailable:
    case ErrorCode::CoordinatorLoadInProgress:
    case ErrorCode::ConcurrentTransactions:
      return retriable;
    case ErrorCode::TransactionAbortable:
      return ErrorCode::InvalidTxnState;
    case ErrorCode::ProducerFenced:
      return ErrorCode::InvalidProducerEpoch;
    default:
      return error;
  }
}

}  // namespace freshet::server
