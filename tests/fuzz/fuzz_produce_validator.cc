// The produce validator on arbitrary record sets, under every topic policy:
// input byte 0 is the Produce version (mod 12), byte 1 the policy (bit 0
// LogAppendTime, bits 1-3 the codec to recompress to (0: keep, 1-5: none,
// gzip, snappy, lz4, zstd), bit 4 a 5-minute timestamp window, bit 5 a 200-byte
// max.message.bytes, bit 6 a compacted topic, bit 7 CRCs repaired before
// validation, so that mutations reach the record checks); the rest is the
// partition's record set. What it accepts must be fit for the log: whole batches with
// valid CRCs, no control batches, records that decode (all of them, keyed on
// a compacted topic), and the topic's codec on recompressed batches. What it
// refuses names records only inside the batch.
#include "fuzz_target.h"
#include "protocol/batch_iterator.h"
#include "protocol/batch_records.h"
#include "protocol/record_batch.h"
#include "seed_batches.h"
#include "server/produce_validator.h"

namespace {

using namespace freshet;

constexpr int64_t kNowMs = fuzz::kSeedTimestampMs + 60'000;

server::ProducePolicy policy_from(uint8_t bits) {
  server::ProducePolicy policy;
  policy.log_append_time = (bits & 0x01) != 0;
  const int codec = (bits >> 1) & 0x07;
  if (codec >= 1 && codec <= 5) policy.recompress_to = static_cast<protocol::Compression>(codec - 1);
  if (bits & 0x10) policy.timestamp_before_max_ms = policy.timestamp_after_max_ms = 300'000;
  if (bits & 0x20) policy.max_message_bytes = 200;
  policy.compacted = (bits & 0x40) != 0;
  return policy;
}

// Gives every whole batch of `record_set` the CRC its bytes call for.
void repair_crcs(std::vector<uint8_t>& record_set) {
  protocol::BatchIterator batches(record_set);
  try {
    while (auto batch = batches.next()) {
      const size_t at = static_cast<size_t>(batch->data() - record_set.data());
      const uint32_t crc = protocol::compute_batch_crc(*batch);
      for (size_t i = 0; i < 4; ++i) {
        record_set[at + protocol::kBatchCrcOffset + i] = static_cast<uint8_t>(crc >> (24 - 8 * i));
      }
    }
  } catch (const protocol::BatchFormatError&) {  // batches after a bad one keep their CRCs
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const auto version = static_cast<int16_t>(data[0] % 12);
  const server::ProducePolicy policy = policy_from(data[1]);
  std::vector<uint8_t> record_set(data + 2, data + size);
  if (data[1] & 0x80) repair_crcs(record_set);
  std::optional<protocol::Records> records;
  if (size > 2) records = protocol::Records{record_set, nullptr, std::nullopt};
  const server::ValidatedBatches result = server::validate_produce_records(records, version, policy, "fuzz-0", kNowMs);
  if (result.error != protocol::ErrorCode::None) {
    FUZZ_CHECK(result.batches.empty());
    FUZZ_CHECK(result.record_errors.size() <= server::kMaxRecordErrors);
    for (const server::RecordError& e : result.record_errors) FUZZ_CHECK(e.batch_index >= 0);
    return 0;
  }
  FUZZ_CHECK(!result.batches.empty());
  FUZZ_CHECK(result.record_errors.empty());
  for (std::span<const uint8_t> batch : result.batches) {
    FUZZ_CHECK(protocol::batch_crc_valid(batch));
    const protocol::RecordBatchHeader header = *protocol::parse_batch_header(batch);
    FUZZ_CHECK(!header.is_control());
    const std::vector<protocol::Record> decoded = protocol::decode_records(batch, policy.max_uncompressed_batch_bytes());
    FUZZ_CHECK(decoded.size() == static_cast<size_t>(header.records_count));
    for (size_t i = 0; i < decoded.size(); ++i) {
      FUZZ_CHECK(decoded[i].offset_delta == static_cast<int32_t>(i));
      FUZZ_CHECK(!policy.compacted || decoded[i].key.has_value());
    }
  }
  for (const std::vector<uint8_t>& batch : result.rewritten) {
    if (policy.recompress_to) FUZZ_CHECK(protocol::parse_batch_header(batch)->compression() == *policy.recompress_to);
  }
  return 0;
}

namespace freshet::fuzz {

void fuzz_seeds(std::vector<Input>& out) {
  const std::vector<Input> batches = sample_batches();
  for (uint8_t policy : {0x00, 0x01, 0x02, 0x0b, 0x1a, 0x30, 0x40, 0x80, 0xc0, 0x90}) {
    for (const Input& batch : batches) {
      Input seed = {9, policy};
      append_bytes(seed, batch);
      out.push_back(seed);
    }
  }
  Input two = {2, 0};  // Produce v2 takes several batches per partition
  append_bytes(two, batches[0]);
  append_bytes(two, batches[6]);
  out.push_back(two);
}

}  // namespace freshet::fuzz
