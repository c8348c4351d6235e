#include "storage/time_index.h"

#include <cassert>

#include "protocol/record_batch.h"
#include "storage/big_endian.h"

namespace freshet::storage {

TimeIndexEntry TimeIndex::entry(size_t i) const {
  const uint8_t* p = file_.entry(i);
  return {static_cast<int64_t>(load_be64(p)), base_offset_ + static_cast<int32_t>(load_be32(p + 8))};
}

bool TimeIndex::load() {
  if (!file_.load()) return false;
  for (size_t i = 0; i < entries(); ++i) {
    TimeIndexEntry e = entry(i);
    bool ascending = i == 0 || (e.timestamp > entry(i - 1).timestamp && e.offset >= entry(i - 1).offset);
    if (e.offset < base_offset_ || !ascending) {
      clear();
      return false;
    }
  }
  return true;
}

void TimeIndex::maybe_append(int64_t timestamp, int64_t offset) {
  auto tail = last();
  if (timestamp <= (tail ? tail->timestamp : protocol::kNoTimestamp)) return;
  assert(!tail || offset >= tail->offset);
  assert(offset - base_offset_ >= 0 && offset - base_offset_ <= INT32_MAX);
  uint8_t* p = file_.append_entry();
  store_be64(p, static_cast<uint64_t>(timestamp));
  store_be32(p + 8, static_cast<uint32_t>(offset - base_offset_));
}

TimeIndexEntry TimeIndex::lookup(int64_t target) const {
  auto i = last_at_or_below(entries(), target, [this](size_t k) { return entry(k).timestamp; });
  return i ? entry(*i) : TimeIndexEntry{-1, base_offset_};
}

std::optional<TimeIndexEntry> TimeIndex::last() const {
  if (entries() == 0) return std::nullopt;
  return entry(entries() - 1);
}

void TimeIndex::truncate_to(int64_t offset) {
  auto i = last_at_or_below(entries(), offset - 1, [this](size_t k) { return entry(k).offset; });
  file_.truncate_entries(i ? *i + 1 : 0);
}

}  // namespace freshet::storage
