#include "storage/transaction_index.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>
#include <system_error>

#include "storage/big_endian.h"

namespace freshet::storage {

namespace {
constexpr uint16_t kEntryVersion = 0;
}

void TransactionIndex::load() {
  if (loaded_) return;
  loaded_ = true;
  std::error_code ec;
  if (!std::filesystem::exists(file_.path(), ec)) return;
  if (!file_.load())
    spdlog::warn("{} ends inside an entry; only the {} whole entries are kept", file_.path().string(),
                 file_.entries());
  for (size_t i = 0; i < file_.entries(); ++i) {
    if (load_be32(file_.entry(i)) >> 16 != kEntryVersion) {
      spdlog::warn("{}: entry {} has an unknown version; it and those after it are dropped", file_.path().string(), i);
      file_.truncate_entries(i);
      break;
    }
  }
}

AbortedTxn TransactionIndex::entry(size_t i) const {
  const uint8_t* p = file_.entry(i) + 2;
  return {static_cast<int64_t>(load_be64(p)), static_cast<int64_t>(load_be64(p + 8)),
          static_cast<int64_t>(load_be64(p + 16)), static_cast<int64_t>(load_be64(p + 24))};
}

void TransactionIndex::persist() {
  std::error_code ec;
  if (file_.entries() == 0 && !file_.handle() && !std::filesystem::exists(file_.path(), ec)) return;
  file_.persist();
}

void TransactionIndex::append(const AbortedTxn& txn) {
  load();
  assert(file_.entries() == 0 || entry(file_.entries() - 1).last_offset < txn.last_offset);
  uint8_t* p = file_.append_entry();
  p[0] = static_cast<uint8_t>(kEntryVersion >> 8);
  p[1] = static_cast<uint8_t>(kEntryVersion);
  store_be64(p + 2, static_cast<uint64_t>(txn.producer_id));
  store_be64(p + 10, static_cast<uint64_t>(txn.first_offset));
  store_be64(p + 18, static_cast<uint64_t>(txn.last_offset));
  store_be64(p + 26, static_cast<uint64_t>(txn.last_stable_offset));
  file_.persist();
}

bool TransactionIndex::collect(int64_t fetch_offset, int64_t upper_bound_offset, std::vector<AbortedTxn>& out) {
  assert(fetch_offset < upper_bound_offset);
  load();
  // Entries ending before fetch_offset can neither match nor end the search:
  // their last stable offset is at most last_offset + 1 <= fetch_offset.
  size_t count = file_.entries();
  size_t lo = 0, hi = count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (entry(mid).last_offset < fetch_offset)
      lo = mid + 1;
    else
      hi = mid;
  }
  for (size_t i = lo; i < count; ++i) {
    AbortedTxn txn = entry(i);
    if (txn.first_offset < upper_bound_offset) out.push_back(txn);
    if (txn.last_stable_offset >= upper_bound_offset) return true;
  }
  return false;
}

void TransactionIndex::truncate_to(int64_t offset) {
  load();
  size_t keep = file_.entries();
  while (keep > 0 && entry(keep - 1).last_offset >= offset) --keep;
  if (keep == file_.entries()) return;
  file_.truncate_entries(keep);
  persist();
}

void TransactionIndex::reset() {
  file_.truncate_entries(0);
  loaded_ = true;
  persist();
}

void TransactionIndex::remove_file() {
  file_.truncate_entries(0);
  file_.remove_file();
  loaded_ = true;
}

std::vector<AbortedTxn> TransactionIndex::entries() {
  load();
  std::vector<AbortedTxn> out;
  for (size_t i = 0; i < file_.entries(); ++i) out.push_back(entry(i));
  return out;
}

}  // namespace freshet::storage
