// Kafka's time index of one segment (`.timeindex`): 12-byte big-endian entries
// (int64 timestamp, int32 offset relative to the segment's base offset).
// Entry (t, o): t is the largest timestamp of the segment up to the batch that
// ends at offset o, and o is where that maximum first appeared. Timestamps
// strictly ascend, offsets never descend.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

#include "storage/index_file.h"

namespace freshet::storage {

struct TimeIndexEntry {
  int64_t timestamp;
  int64_t offset;
};

class TimeIndex {
 public:
  static constexpr size_t kEntryBytes = 12;

  TimeIndex(std::filesystem::path path, int64_t base_offset, size_t max_index_bytes)
      : file_(std::move(path), kEntryBytes), base_offset_(base_offset), max_entries_(max_index_bytes / kEntryBytes) {}

  // Loads the file; false when it is missing or inconsistent (caller rebuilds).
  bool load();

  // Appends (timestamp, offset) when timestamp is above the last entry's, or
  // above -1 (no timestamp) for the first entry (Kafka's rule).
  void maybe_append(int64_t timestamp, int64_t offset);
  // The entry with the largest timestamp <= target, or {-1, base_offset} when none.
  TimeIndexEntry lookup(int64_t target) const;
  std::optional<TimeIndexEntry> last() const;
  // Drops the entries with offset >= `offset`.
  void truncate_to(int64_t offset);
  void clear() { file_.truncate_entries(0); }

  bool full() const { return file_.entries() >= max_entries_; }
  size_t entries() const { return file_.entries(); }
  TimeIndexEntry entry(size_t i) const;
  IndexFile& file() { return file_; }
  const IndexFile& file() const { return file_; }

 private:
  IndexFile file_;
  int64_t base_offset_;
  size_t max_entries_;
};

}  // namespace freshet::storage
