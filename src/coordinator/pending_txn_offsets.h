// The transactional offset commits (TxnOffsetCommit) of one __consumer_offsets
// partition that wait for their transaction's end marker, by producer id, as
// Kafka's GroupMetadata.pendingTransactionalOffsetCommits. A commit marker
// moves the producer's durable offsets into the OffsetTable, except where a
// commit appended later already replaced them; an abort marker drops them.
#pragma once

#include <cstdint>
#include <climits>
#include <map>
#include <string>
#include <tuple>
#include <unordered_map>

#include "coordinator/offset_table.h"

namespace freshet::coordinator {

class PendingTxnOffsets {
 public:
  // An offset on its way to the log in `producer_id`'s transaction; it
  // replaces an earlier one of the same transaction for that partition.
  void add(int64_t producer_id, const std::string& group, const std::string& topic, int32_t partition,
           CommittedOffset offset);
  // Its append finished: durable (it now waits for the marker) or failed
  // (forgotten).
  void appended(int64_t producer_id, const std::string& group, const std::string& topic, int32_t partition,
                bool durable);
  // The producer's transaction ended on this partition. With `commit`, each
  // durable offset enters `table` unless the table's offset has a larger
  // log_order (a commit appended after it).
  void complete(int64_t producer_id, bool commit, OffsetTable& table);

  bool has_pending(const std::string& group, const std::string& topic, int32_t partition) const;
  bool has_pending(const std::string& group) const;
  // Producers with offsets waiting here.
  size_t producer_count() const { return by_producer_.size(); }

 private:
  struct Entry {
    CommittedOffset offset;
    bool durable = false;
  };
  using Key = std::tuple<std::string, std::string, int32_t>;  // group, topic, partition
  std::unordered_map<int64_t, std::map<Key, Entry>> by_producer_;
};

}  // namespace freshet::coordinator
