// Which leader epoch started at which offset, for OffsetForLeaderEpoch and log
// truncation on leader change; persisted in the partition's
// leader-epoch-checkpoint (Kafka's checkpoint format, version 0, lines
// "epoch start_offset"). Owner thread only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <utility>
#include <vector>

namespace freshet::storage {

// Kafka's markers for "no such epoch / offset" in OffsetForLeaderEpoch answers.
inline constexpr int32_t kUndefinedEpoch = -1;
inline constexpr int64_t kUndefinedEpochOffset = -1;

struct EpochEntry {
  int32_t epoch;
  int64_t start_offset;
  friend bool operator==(const EpochEntry&, const EpochEntry&) = default;
};

class LeaderEpochCache {
 public:
  // Reads `checkpoint_path` when it exists. Throws StorageError when malformed.
  explicit LeaderEpochCache(std::filesystem::path checkpoint_path);

  // Records that `epoch` starts at `start_offset` (Kafka's assign): ignored when
  // it repeats the latest epoch at a later offset; otherwise entries with an
  // epoch >= `epoch` or a start offset >= `start_offset` are dropped first.
  // Returns true when the cache changed (then call persist()).
  bool assign(int32_t epoch, int64_t start_offset);
  // Drops entries starting at or after `end_offset` (log truncated there).
  // Returns true when the cache changed.
  bool truncate_from_end(int64_t end_offset);
  // The log start moved to `start_offset` (Kafka's truncateFromStart): the
  // entries below it go, except the one covering it, which now starts there.
  // Returns true when the cache changed.
  bool truncate_from_start(int64_t start_offset);
  // Rewrites the checkpoint file atomically (fsynced; the directory entry is
  // the caller's to sync).
  void persist() const;

  std::optional<int32_t> latest_epoch() const;
  // Kafka's endOffsetFor: for the latest epoch, (epoch, log_end_offset); for an
  // older one, (largest known epoch <= requested, start offset of the next
  // epoch); (requested, first epoch's start) below every known epoch; and
  // (kUndefinedEpoch, kUndefinedEpochOffset) for an unknown or undefined epoch.
  std::pair<int32_t, int64_t> end_offset_for(int32_t epoch, int64_t log_end_offset) const;
  const std::vector<EpochEntry>& entries() const { return entries_; }

 private:
  std::filesystem::path path_;
  std::vector<EpochEntry> entries_;  // ascending in both epoch and start offset
};

}  // namespace freshet::storage
