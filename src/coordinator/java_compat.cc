#include "coordinator/java_compat.h"

namespace freshet::coordinator {
namespace {

constexpr uint32_t kReplacement = 0xFFFD;

// Calls `unit(u)` for every UTF-16 code unit of the string Java would decode
// from `utf8`.
template <typename Fn>
void for_each_utf16_unit(std::string_view utf8, Fn&& unit) {
  size_t i = 0;
  while (i < utf8.size()) {
    const auto lead = static_cast<uint8_t>(utf8[i]);
    uint32_t code_point = kReplacement;
    size_t length = 1;
    if (lead < 0x80) {
      code_point = lead;
    } else if ((lead & 0xE0) == 0xC0 || (lead & 0xF0) == 0xE0 || (lead & 0xF8) == 0xF0) {
      const size_t want = (lead & 0xE0) == 0xC0 ? 2 : (lead & 0xF0) == 0xE0 ? 3 : 4;
      uint32_t value = lead & (0x7F >> want);
      size_t k = 1;
      for (; k < want && i + k < utf8.size(); ++k) {
        const auto next = static_cast<uint8_t>(utf8[i + k]);
        if ((next & 0xC0) != 0x80) break;
        value = (value << 6) | (next & 0x3F);
      }
      length = k;
      if (k == want) code_point = value;
    }
    i += length;
    if (code_point >= 0x10000) {
      const uint32_t v = code_point - 0x10000;
      unit(0xD800 + (v >> 10));
      unit(0xDC00 + (v & 0x3FF));
    } else {
      unit(code_point);
    }
  }
}

}  // namespace

int32_t java_string_hash(std::string_view utf8) {
  uint32_t hash = 0;
  for_each_utf16_unit(utf8, [&](uint32_t u) { hash = hash * 31 + u; });
  return static_cast<int32_t>(hash);
}

size_t java_string_length(std::string_view utf8) {
  size_t length = 0;
  for_each_utf16_unit(utf8, [&](uint32_t) { ++length; });
  return length;
}

}  // namespace freshet::coordinator
