// Kafka's transaction states, with the ids __transaction_state records carry
// and the names DescribeTransactions/ListTransactions print. A transition to
// a state is legal only from one of its valid previous states:
//   Empty             <- Empty, CompleteCommit, CompleteAbort   (InitProducerId)
//   Ongoing           <- Ongoing, Empty, CompleteCommit, CompleteAbort  (AddPartitions/AddOffsets)
//   PrepareCommit     <- Ongoing                                (EndTxn commit)
//   PrepareAbort      <- Ongoing, PrepareEpochFence             (EndTxn abort, fencing, timeout)
//   CompleteCommit    <- PrepareCommit                          (markers written)
//   CompleteAbort     <- PrepareAbort
//   Dead              <- Empty, CompleteCommit, CompleteAbort   (transactional id expired)
//   PrepareEpochFence <- Ongoing                                (Kafka's mark while it fences)
// Dead and PrepareEpochFence are never written: an expired id is a tombstone,
// and a fence goes straight on to PrepareAbort.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace freshet::coordinator {

enum class TxnState : int8_t {
  kEmpty = 0,
  kOngoing = 1,
  kPrepareCommit = 2,
  kPrepareAbort = 3,
  kCompleteCommit = 4,
  kCompleteAbort = 5,
  kDead = 6,
  kPrepareEpochFence = 7,
};

// "Empty", "Ongoing", "PrepareCommit", ... as Kafka prints them.
std::string_view txn_state_name(TxnState state);
// The state named exactly `name` (case-sensitive, as Kafka matches it).
std::optional<TxnState> txn_state_from_name(std::string_view name);
// The state a record's TransactionStatus id stands for.
std::optional<TxnState> txn_state_from_id(int8_t id);

bool is_valid_transition(TxnState from, TxnState to);
// Empty, CompleteCommit and CompleteAbort: an idle transactional id in one of
// these may expire (transactional.id.expiration.ms).
bool is_expiration_allowed(TxnState state);
// PrepareCommit or PrepareAbort: markers are being written.
bool is_preparing(TxnState state);

}  // namespace freshet::coordinator
