// A minimal streaming JSON writer for --format json output: compact, one document per string.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace freshet::cli {

// Builds one JSON text. Calls must nest correctly (asserted): inside an object, key() precedes
// every value. Commas are inserted automatically.
class JsonWriter {
 public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view name);
  // Arbitrary bytes: valid UTF-8 is kept, control characters are escaped and each byte that is
  // not part of valid UTF-8 becomes U+FFFD.
  JsonWriter& string(std::string_view bytes);
  JsonWriter& number(int64_t value);
  JsonWriter& boolean(bool value);
  JsonWriter& null();

  // The text written so far; complete once every begin_* has its end_*.
  const std::string& text() const { return out_; }

 private:
  void before_value();
  void append_quoted(std::string_view bytes);

  std::string out_;
  // Per open scope: true if it is an object; whether it already holds an element.
  std::vector<bool> scope_is_object_;
  std::vector<bool> scope_has_element_;
  bool after_key_ = false;
};

}  // namespace freshet::cli
