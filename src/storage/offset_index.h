// Kafka's sparse offset index of one segment (`.index`): 8-byte big-endian
// entries (int32 offset relative to the segment's base offset, int32 byte
// position in the .log). Entry (o, p) means "the batch starting at byte p holds
// offset o"; entries ascend in both fields.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

#include "storage/index_file.h"

namespace freshet::storage {

struct OffsetIndexEntry {
  int64_t offset;
  uint32_t position;
};

class OffsetIndex {
 public:
  static constexpr size_t kEntryBytes = 8;

  OffsetIndex(std::filesystem::path path, int64_t base_offset, size_t max_index_bytes)
      : file_(std::move(path), kEntryBytes), base_offset_(base_offset), max_entries_(max_index_bytes / kEntryBytes) {}

  // Loads the file; false when it is missing or inconsistent with a log of
  // `log_size_bytes` (the caller rebuilds it from the log).
  bool load(uint64_t log_size_bytes);

  void append(int64_t offset, uint32_t position);
  // The entry with the largest offset <= target, or {base_offset, 0} when none.
  OffsetIndexEntry lookup(int64_t target) const;
  // The entry with the largest position <= position, or {base_offset, 0} when none.
  OffsetIndexEntry lookup_position(uint64_t position) const;
  // Drops the entries with offset >= `offset`.
  void truncate_to(int64_t offset);
  void clear() { file_.truncate_entries(0); }

  bool full() const { return file_.entries() >= max_entries_; }
  size_t entries() const { return file_.entries(); }
  OffsetIndexEntry entry(size_t i) const;
  IndexFile& file() { return file_; }
  const IndexFile& file() const { return file_; }

 private:
  IndexFile file_;
  int64_t base_offset_;
  size_t max_entries_;
};

}  // namespace freshet::storage
