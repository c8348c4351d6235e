// The compaction cleaner's map from a record key to the offset of its latest
// record (Kafka's SkimpyOffsetMap): open addressing over a fixed array of
// slots, each holding a 128-bit hash of the key (XXH3-128, so two keys
// colliding is about as likely as a disk returning wrong bytes) and an
// offset. Its memory is fixed at construction (log.cleaner.dedupe.buffer.size)
// whatever the keys; it is full at `load_factor` of its slots
// (log.cleaner.io.buffer.load.factor), and the cleaner then cleans only up to
// where it got. Not thread-safe.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace freshet::storage {

class OffsetMap {
 public:
  // At least one slot, however small `memory_bytes`.
  explicit OffsetMap(size_t memory_bytes, double load_factor = 0.9);

  // Records that the latest record of `key` seen so far is at `offset`
  // (offsets are put in ascending order). Returns false, changing nothing,
  // when the key is new and the map is full.
  bool put(std::span<const uint8_t> key, int64_t offset);
  // The offset last put for `key`; -1 when none.
  int64_t get(std::span<const uint8_t> key) const;

  size_t size() const { return entries_; }
  // How many keys fit before put() refuses new ones.
  size_t capacity() const { return max_entries_; }
  bool full() const { return entries_ >= max_entries_; }
  // The last offset the map covers: the largest put or passed to
  // cover_to(); -1 when empty.
  int64_t latest_offset() const { return latest_offset_; }
  // The map covers every offset up to `offset`, including records that put
  // nothing (no key, aborted, control batches): Kafka's updateLatestOffset.
  void cover_to(int64_t offset) { latest_offset_ = std::max(latest_offset_, offset); }
  void clear();

  static constexpr size_t kSlotBytes = 24;

 private:
  struct Slot {
    uint64_t hash_low = 0;
    uint64_t hash_high = 0;
    int64_t offset = -1;  // -1: empty
  };
  static_assert(sizeof(Slot) == kSlotBytes);
  // The slot holding the key with this hash, or the empty slot where it belongs.
  size_t find(uint64_t hash_low, uint64_t hash_high) const;

  std::vector<Slot> slots_;
  size_t max_entries_;
  size_t entries_ = 0;
  int64_t latest_offset_ = -1;
};

}  // namespace freshet::storage
