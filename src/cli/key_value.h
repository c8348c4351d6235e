// "key=value" arguments (topic configs, record headers, client settings).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace freshet::cli {

struct KeyValue {
  std::string key;
  std::string value;
};

// Splits `text` at its first '='; the value may be empty and may contain '='. Throws CommandError
// naming `what` (e.g. "config") when there is no '=' or the key is empty.
KeyValue parse_key_value(std::string_view text, std::string_view what);

// parse_key_value over every element of `texts`, in order.
std::vector<KeyValue> parse_key_values(const std::vector<std::string>& texts,
                                       std::string_view what);

}  // namespace freshet::cli
