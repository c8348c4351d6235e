#include "cli/offset_spec.h"

#include <fmt/core.h>

#include <optional>

#include "cli/errors.h"
#include "cli/parse_number.h"

namespace freshet::cli {

OffsetSpec OffsetSpec::parse(std::string_view text) {
  if (text == "beginning" || text == "start" || text == "oldest") return {Kind::kBeginning, 0};
  if (text == "end" || text == "newest") return {Kind::kEnd, 0};
  std::optional<int64_t> number;
  Kind kind = Kind::kAbsolute;
  if (!text.empty() && text[0] == '-') {
    kind = Kind::kFromEnd;
    number = parse_non_negative(text.substr(1));
  } else if (!text.empty() && text[0] == '@') {
    kind = Kind::kTimestamp;
    number = parse_non_negative(text.substr(1));
  } else {
    number = parse_non_negative(text);
  }
  if (!number) {
    throw CommandError(fmt::format(
        "invalid offset '{}': expected beginning, end, OFFSET, -COUNT (from the end) or "
        "@TIMESTAMP_MS",
        text));
  }
  if (kind == Kind::kFromEnd && *number == 0) return {Kind::kEnd, 0};
  return {kind, *number};
}

}  // namespace freshet::cli
