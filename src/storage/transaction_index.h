// Kafka's transaction index of one segment (`<base>.txnindex`): one 34-byte
// big-endian entry per transaction whose abort marker is in the segment
// (version int16 0, producer_id, first_offset, last_offset, last_stable_offset;
// Kafka's AbortedTxn). Entries ascend by last_offset (the marker's offset).
// Fetch read_committed uses them to tell consumers which records to drop.
//
// The file exists only once an entry was written (as in Kafka). Entries are
// read on first use and mirrored in memory; append() writes the new entry
// straight to the file (page cache), which the log's next flush syncs.
// Owner thread only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "storage/index_file.h"

namespace freshet::storage {

struct AbortedTxn {
  int64_t producer_id;
  int64_t first_offset;
  int64_t last_offset;
  int64_t last_stable_offset;
  friend bool operator==(const AbortedTxn&, const AbortedTxn&) = default;
};

class TransactionIndex {
 public:
  static constexpr size_t kEntryBytes = 34;

  explicit TransactionIndex(std::filesystem::path path) : file_(std::move(path), kEntryBytes) {}

  // Requires txn.last_offset above every entry's.
  void append(const AbortedTxn& txn);

  // Kafka's collectAbortedTxns for a fetch of [fetch_offset, upper_bound_offset)
  // (requires fetch_offset < upper_bound_offset): appends to `out` the entries
  // with last_offset >= fetch_offset and first_offset < upper_bound_offset.
  // Returns true when the search is complete: an entry's last_stable_offset
  // reached upper_bound_offset, so later segments hold nothing for this range.
  bool collect(int64_t fetch_offset, int64_t upper_bound_offset, std::vector<AbortedTxn>& out);

  // Removes the entries with last_offset >= offset.
  void truncate_to(int64_t offset);
  // Removes every entry (before a rebuild).
  void reset();

  std::vector<AbortedTxn> entries();
  // The open file, null before anything was written or read from it.
  const std::shared_ptr<FileHandle>& handle() const { return file_.handle(); }
  const std::filesystem::path& path() const { return file_.path(); }
  // Deletes the file and forgets the entries.
  void remove_file();

 private:
  void load();
  AbortedTxn entry(size_t i) const;
  // Writes the in-memory entries to the file, unless neither exists.
  void persist();

  IndexFile file_;
  bool loaded_ = false;
};

}  // namespace freshet::storage
