// Parsing numbers the operator typed (offsets, timestamps).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace freshet::cli {

// A non-negative decimal integer occupying all of `text` (no sign, no
// spaces), or nullopt.
std::optional<int64_t> parse_non_negative(std::string_view text);

}  // namespace freshet::cli
