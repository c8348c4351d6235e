// Every generated message codec at every version: requests (served or not),
// responses (what tests and tools decode), headers, metadata records and the
// group/transaction coordinators' records. Input bytes 0-1 pick the message
// (big-endian index into all_message_cases(), modulo its size), byte 2 the
// version (min + byte mod the number of versions); the rest is the body.
#include "fuzz_target.h"
#include "message_cases.h"

namespace {

using namespace freshet;

constexpr size_t kSelectorBytes = 3;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < kSelectorBytes) return 0;
  const auto cases = protocol::testing::all_message_cases();
  const auto& message = cases[((size_t{data[0]} << 8) | data[1]) % cases.size()];
  const int versions = message.max_version - message.min_version + 1;
  const auto version = static_cast<int16_t>(message.min_version + data[2] % versions);
  try {
    fuzz::decode_and_check(message, std::span<const uint8_t>(data + kSelectorBytes, size - kSelectorBytes), version);
  } catch (const protocol::DecodeError&) {
  }
  return 0;
}

namespace freshet::fuzz {

void fuzz_seeds(std::vector<Input>& out) {
  const auto cases = protocol::testing::all_message_cases();
  for (size_t index = 0; index < cases.size(); ++index) {
    const auto& message = cases[index];
    for (int16_t version = message.min_version; version <= message.max_version; ++version) {
      for (bool nulls : {false, true}) {
        Input seed = {static_cast<uint8_t>(index >> 8), static_cast<uint8_t>(index),
                      static_cast<uint8_t>(version - message.min_version)};
        const std::vector<uint8_t> body = message.encode_sample(version, nulls);
        seed.insert(seed.end(), body.begin(), body.end());
        out.push_back(std::move(seed));
      }
    }
  }
}

}  // namespace freshet::fuzz
