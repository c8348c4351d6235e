#include "storage/offset_map.h"

#include <xxhash.h>

#include <algorithm>
#include <cassert>
#include <cmath>

namespace freshet::storage {

OffsetMap::OffsetMap(size_t memory_bytes, double load_factor)
    : slots_(std::max<size_t>(memory_bytes / kSlotBytes, 2)),
      // One slot always stays empty, so that a probe for a missing key ends.
      max_entries_(std::clamp<size_t>(static_cast<size_t>(std::floor(static_cast<double>(slots_.size()) * load_factor)),
                                      1, slots_.size() - 1)) {
  assert(load_factor > 0 && load_factor <= 1);
}

size_t OffsetMap::find(uint64_t hash_low, uint64_t hash_high) const {
  // Linear probing from the hash's slot; the low half picks it, both halves
  // identify the key.
  size_t i = static_cast<size_t>(hash_low % slots_.size());
  while (slots_[i].offset >= 0 && (slots_[i].hash_low != hash_low || slots_[i].hash_high != hash_high))
    i = i + 1 == slots_.size() ? 0 : i + 1;
  return i;
}

bool OffsetMap::put(std::span<const uint8_t> key, int64_t offset) {
  assert(offset >= 0 && offset >= latest_offset_);
  const XXH128_hash_t hash = XXH3_128bits(key.data(), key.size());
  Slot& slot = slots_[find(hash.low64, hash.high64)];
  if (slot.offset < 0) {
    if (full()) return false;
    slot.hash_low = hash.low64;
    slot.hash_high = hash.high64;
    ++entries_;
  }
  slot.offset = offset;
  latest_offset_ = offset;
  return true;
}

int64_t OffsetMap::get(std::span<const uint8_t> key) const {
  const XXH128_hash_t hash = XXH3_128bits(key.data(), key.size());
  return slots_[find(hash.low64, hash.high64)].offset;
}

void OffsetMap::clear() {
  std::fill(slots_.begin(), slots_.end(), Slot{});
  entries_ = 0;
  latest_offset_ = -1;
}

}  // namespace freshet::storage
