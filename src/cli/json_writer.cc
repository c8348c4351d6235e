#include "cli/json_writer.h"

#include <cassert>

namespace freshet::cli {
namespace {

// Length of the valid UTF-8 sequence starting at `s[i]`, or 0 if it is not valid (overlong
// forms, surrogates and code points above U+10FFFF are invalid).
size_t utf8_sequence_length(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  size_t length = 0;
  uint32_t code_point = 0;
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    code_point = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    code_point = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    code_point = lead & 0x07;
  } else {
    return 0;
  }
  if (i + length > s.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code_point = (code_point << 6) | (byte(i + k) & 0x3F);
  }
  constexpr uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code_point < kMinimum[length] || code_point > 0x10FFFF) return 0;
  if (code_point >= 0xD800 && code_point <= 0xDFFF) return 0;
  return length;
}

}  // namespace

void JsonWriter::before_value() {
  if (scope_is_object_.empty()) {
    assert(out_.empty());  // one top-level value per writer
    return;
  }
  if (scope_is_object_.back()) {
    assert(after_key_);
    after_key_ = false;
    return;
  }
  if (scope_has_element_.back()) out_ += ',';
  scope_has_element_.back() = true;
}

JsonWriter& JsonWriter::begin_object() {
  before_value();
  out_ += '{';
  scope_is_object_.push_back(true);
  scope_has_element_.push_back(false);
  return *this;
}

JsonWriter& JsonWriter::end_object() {
  assert(!scope_is_object_.empty() && scope_is_object_.back() && !after_key_);
  out_ += '}';
  scope_is_object_.pop_back();
  scope_has_element_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::begin_array() {
  before_value();
  out_ += '[';
  scope_is_object_.push_back(false);
  scope_has_element_.push_back(false);
  return *this;
}

JsonWriter& JsonWriter::end_array() {
  assert(!scope_is_object_.empty() && !scope_is_object_.back());
  out_ += ']';
  scope_is_object_.pop_back();
  scope_has_element_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
  assert(!scope_is_object_.empty() && scope_is_object_.back() && !after_key_);
  if (scope_has_element_.back()) out_ += ',';
  scope_has_element_.back() = true;
  append_quoted(name);
  out_ += ':';
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::string(std::string_view bytes) {
  before_value();
  append_quoted(bytes);
  return *this;
}

void JsonWriter::append_quoted(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  out_ += '"';
  for (size_t i = 0; i < bytes.size();) {
    const unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x80) {
      const size_t length = utf8_sequence_length(bytes, i);
      if (length == 0) {
        out_ += "\\ufffd";
        ++i;
      } else {
        out_.append(bytes.substr(i, length));
        i += length;
      }
      continue;
    }
    switch (c) {
      case '"': out_ += "\\\""; break;
      case '\\': out_ += "\\\\"; break;
      case '\n': out_ += "\\n"; break;
      case '\r': out_ += "\\r"; break;
      case '\t': out_ += "\\t"; break;
      case '\b': out_ += "\\b"; break;
      case '\f': out_ += "\\f"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out_ += "\\u00";
          out_ += kHex[c >> 4];
          out_ += kHex[c & 0xF];
        } else {
          out_ += static_cast<char>(c);
        }
    }
    ++i;
  }
  out_ += '"';
}

JsonWriter& JsonWriter::number(int64_t value) {
  before_value();
  out_ += std::to_string(value);
  return *this;
}

JsonWriter& JsonWriter::boolean(bool value) {
  before_value();
  out_ += value ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::null() {
  before_value();
  out_ += "null";
  return *this;
}

}  // namespace freshet::cli
