#include "cli/line_record.h"

namespace freshet::cli {

LineRecord split_line(std::string_view line, std::string_view key_separator) {
  if (key_separator.empty()) return LineRecord{std::nullopt, line};
  const size_t at = line.find(key_separator);
  if (at == std::string_view::npos) return LineRecord{std::nullopt, line};
  return LineRecord{line.substr(0, at), line.substr(at + key_separator.size())};
}

}  // namespace freshet::cli
