#include "cluster/config_def.h"

#include <charconv>
#include <cstdlib>
#include <fmt/format.h>

namespace freshet::cluster {

std::optional<int64_t> parse_int64(std::string_view text) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

std::optional<double> parse_double(std::string_view text) {
  std::string s(text);
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0') return std::nullopt;
  return v;
}

std::optional<bool> parse_bool(std::string_view text) {
  if (text == "true" || text == "TRUE" || text == "True") return true;
  if (text == "false" || text == "FALSE" || text == "False") return false;
  return std::nullopt;
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view item = text.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    start = comma + 1;
  }
  return out;
}

namespace {
bool is_choice(std::string_view choices, std::string_view value) {
  size_t start = 0;
  while (start <= choices.size()) {
    size_t bar = choices.find('|', start);
    if (bar == std::string_view::npos) bar = choices.size();
    if (choices.substr(start, bar - start) == value) return true;
    start = bar + 1;
  }
  return false;
}
}  // namespace

std::optional<std::string> validate_config_value(const ConfigDef& def, std::string_view value) {
  switch (def.type) {
    case ConfigType::Boolean:
      if (!parse_bool(value)) return fmt::format("Invalid value {} for configuration {}: Expected value to be either true or false", value, def.name);
      return std::nullopt;
    case ConfigType::Int:
    case ConfigType::Short:
    case ConfigType::Long: {
      auto v = parse_int64(value);
      if (!v) return fmt::format("Invalid value {} for configuration {}: Not a number of type {}", value, def.name,
                                 def.type == ConfigType::Long ? "LONG" : "INT");
      if (def.type == ConfigType::Int && (*v < INT32_MIN || *v > INT32_MAX))
        return fmt::format("Invalid value {} for configuration {}: Not a number of type INT", value, def.name);
      if (double(*v) < def.min || double(*v) > def.max)
        return fmt::format("Invalid value {} for configuration {}: Value must be {}", value, def.name,
                           def.max >= 1e300 ? fmt::format("at least {}", int64_t(def.min))
                                            : fmt::format("in [{}, {}]", int64_t(def.min), int64_t(def.max)));
      return std::nullopt;
    }
    case ConfigType::Double: {
      auto parsed = parse_double(value);
      if (!parsed) return fmt::format("Invalid value {} for configuration {}: Not a number of type DOUBLE", value, def.name);
      const double v = *parsed;
      if (v < def.min || v > def.max) return fmt::format("Invalid value {} for configuration {}: Value must be in [{}, {}]", value, def.name, def.min, def.max);
      return std::nullopt;
    }
    case ConfigType::List:
      if (*def.choices) {
        auto items = split_list(value);
        if (items.empty()) return fmt::format("Invalid value {} for configuration {}: empty list", value, def.name);
        for (auto& item : items)
          if (!is_choice(def.choices, item))
            return fmt::format("Invalid value {} for configuration {}: String must be one of: {}", item, def.name, def.choices);
      }
      return std::nullopt;
    case ConfigType::String:
    case ConfigType::Password:
      if (*def.choices && !is_choice(def.choices, value))
        return fmt::format("Invalid value {} for configuration {}: String must be one of: {}", value, def.name, def.choices);
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace freshet::cluster
