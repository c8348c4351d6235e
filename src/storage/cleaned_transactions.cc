#include "storage/cleaned_transactions.h"

#include <algorithm>

namespace freshet::storage {

CleanedTransactions::CleanedTransactions(std::vector<AbortedTxn> aborted) {
  std::sort(aborted.begin(), aborted.end(),
            [](const AbortedTxn& a, const AbortedTxn& b) { return a.first_offset < b.first_offset; });
  pending_.assign(aborted.begin(), aborted.end());
}

void CleanedTransactions::start_aborts_up_to(int64_t offset) {
  while (!pending_.empty() && pending_.front().first_offset <= offset) {
    const AbortedTxn& txn = pending_.front();
    ongoing_aborts_.try_emplace(txn.producer_id, OngoingAbort{txn, false});
    pending_.pop_front();
  }
}

bool CleanedTransactions::on_data_batch(const protocol::RecordBatchHeader& batch) {
  start_aborts_up_to(batch.last_offset());
  if (!batch.is_transactional()) return false;
  if (auto it = ongoing_aborts_.find(batch.producer_id); it != ongoing_aborts_.end()) {
    it->second.saw_batch = true;
    return true;
  }
  ongoing_commits_.insert(batch.producer_id);
  return false;
}

bool CleanedTransactions::on_control_batch(const protocol::RecordBatchHeader& batch,
                                           std::optional<protocol::ControlRecordType> type,
                                           std::vector<AbortedTxn>& kept_aborts) {
  start_aborts_up_to(batch.last_offset());
  if (!type) return true;  // emptied by an earlier cleaning
  switch (*type) {
    case protocol::ControlRecordType::kAbort: {
      auto it = ongoing_aborts_.find(batch.producer_id);
      if (it == ongoing_aborts_.end()) return true;
      const bool saw_batch = it->second.saw_batch;
      // The marker stays while this cleaning removes its transaction's data:
      // a consumer past the data but not yet the marker still needs it.
      if (saw_batch) kept_aborts.push_back(it->second.txn);
      ongoing_aborts_.erase(it);
      return !saw_batch;
    }
    case protocol::ControlRecordType::kCommit:
      return ongoing_commits_.erase(batch.producer_id) == 0;
    default:
      return false;
  }
}

}  // namespace freshet::storage
