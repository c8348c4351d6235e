#include "message_cases.h"

#include "fuzz_target.h"

namespace freshet::fuzz {

const protocol::testing::MessageCase* find_message_case(std::string_view name) {
  for (const auto& message : protocol::testing::all_message_cases())
    if (name == message.name) return &message;
  return nullptr;
}

void decode_and_check(const protocol::testing::MessageCase& message, std::span<const uint8_t> bytes,
                      int16_t version) {
  size_t consumed = 0;
  const std::vector<uint8_t> encoded = message.decode_reencode(bytes, version, &consumed);
  FUZZ_CHECK(consumed <= bytes.size());
  size_t consumed_again = 0;
  const std::vector<uint8_t> encoded_again = message.decode_reencode(encoded, version, &consumed_again);
  FUZZ_CHECK(consumed_again == encoded.size());
  FUZZ_CHECK(encoded_again == encoded);
}

}  // namespace freshet::fuzz
