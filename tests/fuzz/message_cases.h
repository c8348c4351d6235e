// Access to the generated codec of every Kafka message (protocol/testing's
// type-erased MessageCase list) for the fuzz targets, plus the property they
// check on every message that decodes.
#pragma once

#include <span>
#include <string_view>

#include "protocol/testing/samples.h"

namespace freshet::fuzz {

// The case named `name` ("ProduceRequest", "RequestHeader", ...), or nullptr.
const protocol::testing::MessageCase* find_message_case(std::string_view name);

// Decodes `bytes` as `message` at `version`; when that succeeds, the
// re-encoding must decode and re-encode to the same bytes (a decoder never
// accepts what its own encoder cannot reproduce). Throws DecodeError for
// input the decoder rejects.
void decode_and_check(const protocol::testing::MessageCase& message, std::span<const uint8_t> bytes,
                      int16_t version);

}  // namespace freshet::fuzz
