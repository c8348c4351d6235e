#include "cli/parse_number.h"

#include <charconv>

namespace freshet::cli {

std::optional<int64_t> parse_non_negative(std::string_view text) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);  // from_chars takes no '+'
  if (text.empty() || ec != std::errc() || ptr != end || value < 0) return std::nullopt;
  return value;
}

}  // namespace freshet::cli
