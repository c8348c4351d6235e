// Keeps a client-grown map under its bound: removes the `count` evictable
// entries with the smallest age key (e.g. a last-seen timestamp). One pass
// plus a selection, O(size); callers evict a fraction of the bound at a time
// so that the cost per insertion stays O(1) amortized.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace freshet::storage {

// `age_of(value)` gives the age key, `evictable(value)` whether the entry may
// go. Returns how many entries were removed (fewer than `count` when fewer
// are evictable).
template <typename Map, typename AgeOf, typename Evictable>
size_t evict_oldest(Map& map, size_t count, AgeOf age_of, Evictable evictable) {
  using Key = typename Map::key_type;
  std::vector<std::pair<int64_t, Key>> candidates;
  for (const auto& [key, value] : map) {
    if (evictable(value)) candidates.emplace_back(age_of(value), key);
  }
  count = std::min(count, candidates.size());
  if (count == 0) return 0;
  std::nth_element(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(count - 1), candidates.end());
  for (size_t i = 0; i < count; ++i) map.erase(candidates[i].second);
  return count;
}

}  // namespace freshet::storage
