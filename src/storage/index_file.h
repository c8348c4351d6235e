// The entries of one index file (.index or .timeindex) mirrored in memory as the
// file's exact bytes. Appends touch only memory; persist() brings the file up to
// date with at most one ftruncate and one write, so the append path makes no
// syscalls for indexes. Owner thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "storage/file_handle.h"

namespace freshet::storage {

class IndexFile {
 public:
  IndexFile(std::filesystem::path path, size_t entry_bytes) : path_(std::move(path)), entry_bytes_(entry_bytes) {}

  // Replaces the entries in memory with the file's. Returns false when the
  // file is missing (no entries) or is not a whole number of entries (the
  // whole ones are kept; the next persist() cuts the file to them).
  bool load();

  const std::filesystem::path& path() const { return path_; }
  size_t entries() const { return bytes_.size() / entry_bytes_; }
  const uint8_t* entry(size_t i) const { return bytes_.data() + i * entry_bytes_; }
  // Appends one zeroed entry and returns it for the caller to fill.
  uint8_t* append_entry();
  void truncate_entries(size_t count);

  // Writes what the file lacks (and cuts what it has beyond memory), creating it if needed.
  void persist();
  // The file's handle once persist() has opened it; null before.
  const std::shared_ptr<FileHandle>& handle() const { return handle_; }
  void remove_file();

 private:
  std::filesystem::path path_;
  size_t entry_bytes_;
  std::vector<uint8_t> bytes_;
  // Bytes of the file known to equal bytes_[0, file_bytes_); nullopt when unknown.
  std::optional<size_t> file_bytes_;
  std::shared_ptr<FileHandle> handle_;
};

// The largest i < count with key(i) <= target, for keys ascending in i; nullopt if none.
template <typename KeyOf>
std::optional<size_t> last_at_or_below(size_t count, int64_t target, KeyOf key) {
  size_t lo = 0, hi = count;  // answer is in [lo, hi): first index with key > target
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (key(mid) <= target)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == 0) return std::nullopt;
  return lo - 1;
}

}  // namespace freshet::storage
