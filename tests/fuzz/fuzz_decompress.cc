// The four record codecs (and the invalid ids 5-7) on arbitrary bytes, with
// an output cap: input byte 0 picks the codec, byte 1 the cap (0: 8 MiB,
// else byte * 97 bytes, so the cap is hit often), the rest is compressed
// data. Whatever decompresses must compress and decompress back to itself.
#include "fuzz_target.h"
#include "protocol/compression.h"
#include "protocol/wire.h"

namespace {

using namespace freshet::protocol;

constexpr size_t kLargestCapBytes = 8 << 20;
constexpr size_t kRoundTripMaxBytes = 256 << 10;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const auto codec = static_cast<Compression>(data[0] & 0x07);
  const size_t cap = data[1] == 0 ? kLargestCapBytes : size_t{data[1]} * 97;
  std::vector<uint8_t> output;
  try {
    output = decompress(codec, std::span<const uint8_t>(data + 2, size - 2), cap);
  } catch (const DecodeError&) {
    return 0;
  }
  FUZZ_CHECK(output.size() <= cap);
  if (output.size() <= kRoundTripMaxBytes) {
    const std::vector<uint8_t> again = decompress(codec, compress(codec, output), cap);
    FUZZ_CHECK(again == output);
  }
  return 0;
}

namespace freshet::fuzz {

void fuzz_seeds(std::vector<Input>& out) {
  std::vector<Input> payloads = {{}, {'a'}, Input(100'000, 'z')};
  Input mixed;
  for (int i = 0; i < 3000; ++i) mixed.push_back(static_cast<uint8_t>((i * 7919) ^ (i >> 3)));
  payloads.push_back(mixed);
  for (Compression codec :
       {Compression::None, Compression::Gzip, Compression::Snappy, Compression::Lz4, Compression::Zstd}) {
    for (const Input& payload : payloads) {
      Input seed = {static_cast<uint8_t>(codec), 0};
      const std::vector<uint8_t> compressed = compress(codec, payload);
      seed.insert(seed.end(), compressed.begin(), compressed.end());
      out.push_back(seed);
    }
  }
}

}  // namespace freshet::fuzz
