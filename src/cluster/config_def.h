// Typed configuration keys shared by broker and topic configs: a key's name,
// its type as DescribeConfigs reports it, its default and its validation.
#pragma once

#include <limits>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace freshet::cluster {

// Values as DescribeConfigs v3+ reports config_type.
enum class ConfigType : int8_t { Boolean = 1, String = 2, Int = 3, Short = 4, Long = 5, Double = 6, List = 7, Password = 9 };

struct ConfigDef {
  const char* name;
  ConfigType type;
  const char* default_value;
  // Inclusive numeric bounds (numbers), ignored for other types; the
  // defaults admit every double (Double.MAX_VALUE is a default of Kafka's).
  double min = std::numeric_limits<double>::lowest();
  double max = std::numeric_limits<double>::max();
  // For strings/lists: allowed values separated by '|' (empty: any).
  const char* choices = "";
};

// Returns a readable reason when `value` is not valid for `def`, else nullopt.
std::optional<std::string> validate_config_value(const ConfigDef& def, std::string_view value);

std::optional<int64_t> parse_int64(std::string_view text);
std::optional<bool> parse_bool(std::string_view text);
std::optional<double> parse_double(std::string_view text);
std::vector<std::string> split_list(std::string_view text);  // comma-separated, trimmed, empty dropped

}  // namespace freshet::cluster
