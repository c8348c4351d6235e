// Kafka's arithmetic is Java's: strings are UTF-16 (group ids are hashed and
// offset metadata measured in UTF-16 code units) and long arithmetic wraps.
// These helpers give Java's answers; malformed UTF-8 counts as U+FFFD, as
// Java decodes it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace freshet::coordinator {

// Java's String.hashCode().
int32_t java_string_hash(std::string_view utf8);

// Java's String.length(): the number of UTF-16 code units.
size_t java_string_length(std::string_view utf8);

// Java's long `a + b` and `a - b`: they wrap instead of overflowing, so
// client-chosen timestamps and retention times stay defined behaviour.
inline int64_t java_add(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
inline int64_t java_subtract(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
// Java's int `a + 1`: a generation id loaded from a record may be
// Integer.MAX_VALUE, and Kafka's next one is then Integer.MIN_VALUE.
inline int32_t java_increment(int32_t a) { return static_cast<int32_t>(static_cast<uint32_t>(a) + 1u); }

}  // namespace freshet::coordinator
