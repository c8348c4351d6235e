// What the cleaner must know of transactions while it walks a range of the
// log in offset order (Kafka's CleanedTransactionMetadata): which data
// batches belong to an aborted transaction (their records go), and which
// markers may go too (their transaction has no data left). Built from the
// aborted transactions the range's transaction indexes list; batches are
// fed in offset order.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "protocol/control_record.h"
#include "protocol/record_batch.h"
#include "storage/transaction_index.h"

namespace freshet::storage {

class CleanedTransactions {
 public:
  // `aborted`: the aborted transactions overlapping the range, any order.
  explicit CleanedTransactions(std::vector<AbortedTxn> aborted);

  // A data batch: true when it belongs to an aborted transaction.
  bool on_data_batch(const protocol::RecordBatchHeader& batch);
  // A control batch whose record has type `type` (nullopt: a batch emptied
  // by an earlier cleaning): true when the marker may be discarded, i.e. no
  // batch of its transaction was seen in this range. An abort marker that
  // stays has its transaction appended to `kept_aborts`, for the cleaned
  // segment's transaction index.
  bool on_control_batch(const protocol::RecordBatchHeader& batch, std::optional<protocol::ControlRecordType> type,
                        std::vector<AbortedTxn>& kept_aborts);

 private:
  struct OngoingAbort {
    AbortedTxn txn;
    bool saw_batch = false;
  };
  // The aborted transactions starting at or before `offset` become ongoing.
  void start_aborts_up_to(int64_t offset);

  std::deque<AbortedTxn> pending_;  // ascending first offsets, not yet reached
  std::unordered_map<int64_t, OngoingAbort> ongoing_aborts_;  // by producer id
  std::unordered_set<int64_t> ongoing_commits_;               // producers with data seen
};

}  // namespace freshet::storage
