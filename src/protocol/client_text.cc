#include "protocol/client_text.h"

#include <cstdint>

namespace freshet::protocol {

std::string cut_text(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<uint8_t>(text[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 sequence
  return std::string(text.substr(0, cut)) + "...(" + std::to_string(text.size() - cut) + " more bytes)";
}

}  // namespace freshet::protocol
