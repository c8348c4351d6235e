// The broker settings the transaction coordinator obeys: Kafka's names and
// defaults, then Freshet's own bounds (no Kafka key).
#pragma once

#include <cstdint>

namespace freshet::coordinator {

struct TransactionConfig {
  // transaction.max.timeout.ms (15 minutes): InitProducerId with a longer
  // transaction.timeout.ms gets INVALID_TRANSACTION_TIMEOUT.
  int32_t max_timeout_ms = 15 * 60 * 1000;
  // transactional.id.expiration.ms (7 days): an id with no transaction
  // going on and no update for this long is removed (tombstoned).
  int32_t transactional_id_expiration_ms = 7 * 24 * 3600 * 1000;
  // transaction.abort.timed.out.transaction.cleanup.interval.ms (10 s): how
  // often transactions open longer than their timeout are looked for and
  // aborted.
  int32_t abort_timed_out_transactions_interval_ms = 10 * 1000;
  // transaction.remove.expired.transaction.cleanup.interval.ms (1 hour): how
  // often expired transactional ids are looked for.
  int32_t remove_expired_transactional_ids_interval_ms = 3600 * 1000;

  // Freshet's bounds. Requests waiting for the store or for a producer id,
  // on all partitions; past this, a request that would wait is answered
  // CONCURRENT_TRANSACTIONS (clients retry it).
  int32_t max_waiting_requests = 10000;
  // Marker writes in flight at once (one per transaction); further
  // transactions wait their turn.
  int32_t max_inflight_marker_writes = 256;
  // How long to wait before writing a marker again after a retriable error,
  // or the CompleteCommit/CompleteAbort record after COORDINATOR_NOT_AVAILABLE.
  int32_t marker_retry_backoff_ms = 100;
  // AddPartitionsToTxn calls of a producer's next transaction held, per
  // transactional id, while its previous transaction completes; past this
  // they are answered CONCURRENT_TRANSACTIONS.
  int32_t max_held_adds_per_transaction = 4;
};

}  // namespace freshet::coordinator
