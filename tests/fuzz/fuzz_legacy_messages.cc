// Message formats v0/v1 on any bytes: upconvert_message_set() either
// refuses the input with DecodeError or returns a valid v2 batch whose
// records, down-converted to either old format and up-converted again, come
// back with the same keys and values. Seeds: the sample batches
// down-converted to magic 0 and 1.
#include "fuzz_target.h"
#include "protocol/batch_records.h"
#include "protocol/legacy_messages.h"
#include "protocol/record_batch.h"
#include "seed_batches.h"

namespace {

using namespace freshet::protocol;

constexpr size_t kMaxUncompressedBytes = 4 << 20;

std::vector<std::pair<std::optional<std::vector<uint8_t>>, std::optional<std::vector<uint8_t>>>> keys_and_values(
    std::span<const uint8_t> batch) {
  std::vector<std::pair<std::optional<std::vector<uint8_t>>, std::optional<std::vector<uint8_t>>>> out;
  for (auto& record : decode_records(batch, kMaxUncompressedBytes)) out.emplace_back(record.key, record.value);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> converted;
  try {
    converted = upconvert_message_set(std::span<const uint8_t>(data, size), kMaxUncompressedBytes);
  } catch (const DecodeError&) {
    return 0;
  }
  FUZZ_CHECK(batch_crc_valid(converted));
  const auto records = keys_and_values(converted);
  FUZZ_CHECK(!records.empty());
  for (int8_t magic : {int8_t{0}, int8_t{1}}) {
    auto old = downconvert_batches(converted, magic, 0, kMaxUncompressedBytes);
    FUZZ_CHECK(old.has_value());  // the old formats' codecs only
    FUZZ_CHECK(keys_and_values(upconvert_message_set(*old, kMaxUncompressedBytes)) == records);
  }
  return 0;
}

namespace freshet::fuzz {

void fuzz_seeds(std::vector<Input>& out) {
  for (const Input& batch : sample_batches()) {
    for (int8_t magic : {int8_t{0}, int8_t{1}}) {
      try {
        if (auto old = downconvert_batches(batch, magic, 0, kMaxUncompressedBytes)) out.push_back(*old);
      } catch (const DecodeError&) {
      }
    }
  }
}

}  // namespace freshet::fuzz
