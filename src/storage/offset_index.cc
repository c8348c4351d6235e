#include "storage/offset_index.h"

#include <cassert>

#include "storage/big_endian.h"

namespace freshet::storage {

OffsetIndexEntry OffsetIndex::entry(size_t i) const {
  const uint8_t* p = file_.entry(i);
  return {base_offset_ + static_cast<int32_t>(load_be32(p)), load_be32(p + 4)};
}

bool OffsetIndex::load(uint64_t log_size_bytes) {
  if (!file_.load()) return false;
  for (size_t i = 0; i < entries(); ++i) {
    OffsetIndexEntry e = entry(i);
    bool ascending = i == 0 || (e.offset > entry(i - 1).offset && e.position > entry(i - 1).position);
    if (e.offset < base_offset_ || e.position >= log_size_bytes || !ascending) {
      clear();
      return false;
    }
  }
  return true;
}

void OffsetIndex::append(int64_t offset, uint32_t position) {
  assert(!full());
  assert(entries() == 0 || offset > entry(entries() - 1).offset);
  assert(offset - base_offset_ >= 0 && offset - base_offset_ <= INT32_MAX);
  uint8_t* p = file_.append_entry();
  store_be32(p, static_cast<uint32_t>(offset - base_offset_));
  store_be32(p + 4, position);
}

OffsetIndexEntry OffsetIndex::lookup(int64_t target) const {
  auto i = last_at_or_below(entries(), target, [this](size_t k) { return entry(k).offset; });
  return i ? entry(*i) : OffsetIndexEntry{base_offset_, 0};
}

OffsetIndexEntry OffsetIndex::lookup_position(uint64_t position) const {
  auto i = last_at_or_below(entries(), static_cast<int64_t>(position),
                            [this](size_t k) { return static_cast<int64_t>(entry(k).position); });
  return i ? entry(*i) : OffsetIndexEntry{base_offset_, 0};
}

void OffsetIndex::truncate_to(int64_t offset) {
  auto i = last_at_or_below(entries(), offset - 1, [this](size_t k) { return entry(k).offset; });
  file_.truncate_entries(i ? *i + 1 : 0);
}

}  // namespace freshet::storage
