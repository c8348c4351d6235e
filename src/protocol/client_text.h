// Client-supplied strings as they appear in log lines and error messages:
// cut to a readable length, so a hostile 32 767-byte name neither floods the
// log nor overflows a message field.
#pragma once

#include <string>
#include <string_view>

namespace freshet::protocol {

constexpr size_t kMaxClientTextBytes = 255;

// `text` itself when at most `max_bytes` long, else its first bytes up to
// `max_bytes` (cut at a UTF-8 character boundary) followed by "...(N more bytes)".
std::string cut_text(std::string_view text, size_t max_bytes);

inline std::string client_text(std::string_view text) { return cut_text(text, kMaxClientTextBytes); }

}  // namespace freshet::protocol
