#include "storage/leader_epoch_cache.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <string>

#include "storage/checkpoint_file.h"
#include "storage/storage_error.h"

namespace freshet::storage {

namespace {
constexpr int32_t kLeaderEpochCheckpointVersion = 0;
}

LeaderEpochCache::LeaderEpochCache(std::filesystem::path checkpoint_path) : path_(std::move(checkpoint_path)) {
  auto entries = read_checkpoint_file(path_, kLeaderEpochCheckpointVersion, 2);
  if (!entries) return;
  for (const auto& fields : *entries) {
    auto epoch = parse_checkpoint_number(fields[0], path_);
    auto start_offset = parse_checkpoint_number(fields[1], path_);
    if (epoch < 0 || epoch > INT32_MAX || start_offset < 0)
      throw StorageError("malformed checkpoint " + path_.string() + ": bad entry");
    assign(static_cast<int32_t>(epoch), start_offset);
  }
}

bool LeaderEpochCache::assign(int32_t epoch, int64_t start_offset) {
  if (!entries_.empty() && entries_.back().epoch == epoch && start_offset >= entries_.back().start_offset) return false;
  size_t kept = entries_.size();
  while (kept > 0 && (entries_[kept - 1].epoch >= epoch || entries_[kept - 1].start_offset >= start_offset)) --kept;
  if (entries_.size() - kept > 1 || (kept < entries_.size() && entries_[kept].start_offset != start_offset))
    spdlog::warn("{}: epoch {} at offset {} replaces {} conflicting entries", path_.string(), epoch, start_offset,
                 entries_.size() - kept);
  entries_.resize(kept);
  entries_.push_back({epoch, start_offset});
  return true;
}

bool LeaderEpochCache::truncate_from_end(int64_t end_offset) {
  auto first_dropped = std::find_if(entries_.begin(), entries_.end(),
                                    [end_offset](const EpochEntry& e) { return e.start_offset >= end_offset; });
  if (first_dropped == entries_.end()) return false;
  entries_.erase(first_dropped, entries_.end());
  return true;
}

bool LeaderEpochCache::truncate_from_start(int64_t start_offset) {
  auto covering = std::find_if(entries_.rbegin(), entries_.rend(),
                               [start_offset](const EpochEntry& e) { return e.start_offset <= start_offset; });
  if (covering == entries_.rend() || covering->start_offset == start_offset && covering == entries_.rend() - 1)
    return false;
  covering->start_offset = start_offset;
  entries_.erase(entries_.begin(), covering.base() - 1);
  return true;
}

void LeaderEpochCache::persist() const {
  std::vector<CheckpointEntry> lines;
  lines.reserve(entries_.size());
  for (const auto& e : entries_) lines.push_back({std::to_string(e.epoch), std::to_string(e.start_offset)});
  write_checkpoint_file(path_, kLeaderEpochCheckpointVersion, lines);
}

std::optional<int32_t> LeaderEpochCache::latest_epoch() const {
  if (entries_.empty()) return std::nullopt;
  return entries_.back().epoch;
}

std::pair<int32_t, int64_t> LeaderEpochCache::end_offset_for(int32_t epoch, int64_t log_end_offset) const {
  if (epoch == kUndefinedEpoch) return {kUndefinedEpoch, kUndefinedEpochOffset};
  if (!entries_.empty() && entries_.back().epoch == epoch) return {epoch, log_end_offset};
  auto higher = std::upper_bound(entries_.begin(), entries_.end(), epoch,
                                 [](int32_t e, const EpochEntry& entry) { return e < entry.epoch; });
  if (higher == entries_.end()) return {kUndefinedEpoch, kUndefinedEpochOffset};
  if (higher == entries_.begin()) return {epoch, higher->start_offset};
  return {std::prev(higher)->epoch, higher->start_offset};
}

}  // namespace freshet::storage
