// How `freshet produce` turns one line of input into a record's key and value.
#pragma once

#include <optional>
#include <string_view>

namespace freshet::cli {

struct LineRecord {
  std::optional<std::string_view> key;  // nullopt: the record has no key
  std::string_view value;
};

// With an empty `key_separator` the whole line is the value and there is no key. Otherwise the
// key is the text before the first separator and the value the text after it; a line without
// the separator has no key. The views point into `line`.
LineRecord split_line(std::string_view line, std::string_view key_separator);

}  // namespace freshet::cli
