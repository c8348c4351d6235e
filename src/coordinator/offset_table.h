// The committed offsets of the groups of one __consumer_offsets partition,
// exactly as the records persisted so far say (the latest record wins, a
// tombstone removes), plus the commits still being persisted.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace freshet::coordinator {

struct CommittedOffset {
  int64_t offset = 0;
  int32_t leader_epoch = -1;  // -1: unknown
  std::string metadata;
  int64_t commit_timestamp_ms = 0;
  // Only commits of OffsetCommit v1-v4 that asked for their own retention:
  // they expire then, whatever the group does (pre-KIP-211 semantics).
  std::optional<int64_t> expire_timestamp_ms;
  // Where its record sits in the partition's log relative to others (larger
  // is later): a transaction's offsets never replace a later commit.
  uint64_t log_order = 0;
};

// One offset record on its way to the log: a commit, or a tombstone (nullopt).
struct OffsetChange {
  std::string topic;
  int32_t partition = 0;
  std::optional<CommittedOffset> value;
};

class OffsetTable {
 public:
  using PartitionOffsets = std::map<int32_t, CommittedOffset>;
  using TopicOffsets = std::map<std::string, PartitionOffsets>;

  const CommittedOffset* find(const std::string& group, const std::string& topic, int32_t partition) const;
  // Every durable offset of `group`, or nullptr if it has none.
  const TopicOffsets* group_offsets(const std::string& group) const;
  void put(const std::string& group, const std::string& topic, int32_t partition, CommittedOffset offset);
  void erase(const std::string& group, const std::string& topic, int32_t partition);

  // Commits appended but not yet durable: a deletion must tombstone them too,
  // and expiry must not remove an offset a commit is about to replace.
  void add_pending(const std::string& group, const std::string& topic, int32_t partition);
  void remove_pending(const std::string& group, const std::string& topic, int32_t partition);
  bool has_pending(const std::string& group, const std::string& topic, int32_t partition) const;
  bool has_pending(const std::string& group) const { return pending_.count(group) != 0; }
  // The (topic, partition)s of `group` with a durable or a pending commit.
  std::vector<std::pair<std::string, int32_t>> committed_partitions(const std::string& group) const;

 private:
  std::unordered_map<std::string, TopicOffsets> by_group_;
  std::unordered_map<std::string, std::map<std::pair<std::string, int32_t>, int>> pending_;
};

}  // namespace freshet::coordinator
