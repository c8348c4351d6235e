#include "coordinator/pending_txn_offsets.h"

namespace freshet::coordinator {

void PendingTxnOffsets::add(int64_t producer_id, const std::string& group, const std::string& topic,
                            int32_t partition, CommittedOffset offset) {
  by_producer_[producer_id][Key{group, topic, partition}] = Entry{std::move(offset), false};
}

void PendingTxnOffsets::appended(int64_t producer_id, const std::string& group, const std::string& topic,
                                 int32_t partition, bool durable) {
  auto producer = by_producer_.find(producer_id);
  if (producer == by_producer_.end()) return;
  auto entry = producer->second.find(Key{group, topic, partition});
  if (entry == producer->second.end()) return;
  if (durable) {
    entry->second.durable = true;
    return;
  }
  producer->second.erase(entry);
  if (producer->second.empty()) by_producer_.erase(producer);
}

void PendingTxnOffsets::complete(int64_t producer_id, bool commit, OffsetTable& table) {
  auto producer = by_producer_.find(producer_id);
  if (producer == by_producer_.end()) return;
  if (commit) {
    for (auto& [key, entry] : producer->second) {
      // EndTxn follows the TxnOffsetCommit answer, so its append is done; an
      // offset still in flight cannot belong to the ending transaction.
      if (!entry.durable) continue;
      const auto& [group, topic, partition] = key;
      const CommittedOffset* current = table.find(group, topic, partition);
      if (current == nullptr || current->log_order < entry.offset.log_order)
        table.put(group, topic, partition, std::move(entry.offset));
    }
  }
  by_producer_.erase(producer);
}

bool PendingTxnOffsets::has_pending(const std::string& group, const std::string& topic, int32_t partition) const {
  for (const auto& [producer_id, entries] : by_producer_)
    if (entries.count(Key{group, topic, partition}) != 0) return true;
  return false;
}

bool PendingTxnOffsets::has_pending(const std::string& group) const {
  for (const auto& [producer_id, entries] : by_producer_) {
    auto it = entries.lower_bound(Key{group, std::string(), INT32_MIN});
    if (it != entries.end() && std::get<0>(it->first) == group) return true;
  }
  return false;
}

}  // namespace freshet::coordinator
