#include "cli/key_value.h"

#include <fmt/core.h>

#include "cli/errors.h"

namespace freshet::cli {

KeyValue parse_key_value(std::string_view text, std::string_view what) {
  const size_t equals = text.find('=');
  if (equals == std::string_view::npos || equals == 0) {
    throw CommandError(fmt::format("invalid {} '{}': expected key=value", what, text));
  }
  return KeyValue{std::string(text.substr(0, equals)), std::string(text.substr(equals + 1))};
}

std::vector<KeyValue> parse_key_values(const std::vector<std::string>& texts,
                                       std::string_view what) {
  std::vector<KeyValue> result;
  result.reserve(texts.size());
  for (const std::string& text : texts) result.push_back(parse_key_value(text, what));
  return result;
}

}  // namespace freshet::cli
