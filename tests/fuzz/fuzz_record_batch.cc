// RecordBatch v2 as fetched or stored: a record set walked batch by batch
// (framing), each batch's header parsed, its CRC checked, its records
// decompressed (with a cap) and decoded, control records parsed. Accepted
// batches must also survive the rewrites the broker does: recompression to
// another codec keeps the records, LogAppendTime stamping keeps the CRC valid.
#include "fuzz_target.h"
#include "protocol/batch_records.h"
#include "protocol/control_record.h"
#include "protocol/record_batch.h"
#include "seed_batches.h"

namespace {

using namespace freshet::protocol;

constexpr size_t kMaxBatchBytes = 1 << 20;
constexpr size_t kMaxUncompressedBytes = 4 << 20;

void check_control_records(const std::vector<Record>& records) {
  for (const Record& record : records) {
    try {
      if (record.key) parse_control_record_type(*record.key);
      parse_end_txn_marker(record);
    } catch (const DecodeError&) {
    }
  }
}

void check_batch(std::span<const uint8_t> batch) {
  const std::optional<RecordBatchHeader> header = parse_batch_header(batch);
  FUZZ_CHECK(header.has_value());
  FUZZ_CHECK(header->total_size() == batch.size());
  const bool crc_valid = batch_crc_valid(batch);
  FUZZ_CHECK(crc_valid == (compute_batch_crc(batch) == header->crc));

  std::vector<Record> records;
  try {
    records = decode_records(batch, kMaxUncompressedBytes);
  } catch (const DecodeError&) {
    return;
  }
  FUZZ_CHECK(records.size() == static_cast<size_t>(header->records_count));
  if (header->is_control()) check_control_records(records);

  // The codec to recompress to comes from the input, so every pair is tried.
  const auto target = static_cast<Compression>(header->crc % 5);
  const std::vector<uint8_t> recompressed = recompress_batch(batch, target, kMaxUncompressedBytes);
  FUZZ_CHECK(batch_crc_valid(recompressed));
  FUZZ_CHECK(decode_records(recompressed, kMaxUncompressedBytes) == records);

  std::vector<uint8_t> stamped(batch.begin(), batch.end());
  set_log_append_time(stamped, 1'700'000'000'000);
  FUZZ_CHECK(batch_crc_valid(stamped));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  freshet::fuzz::for_each_batch(std::span<const uint8_t>(data, size), kMaxBatchBytes, check_batch);
  try {
    uncompressed_records(std::span<const uint8_t>(data, size), kMaxUncompressedBytes);
  } catch (const DecodeError&) {
  }
  return 0;
}

namespace freshet::fuzz {

void fuzz_seeds(std::vector<Input>& out) {
  const std::vector<Input> batches = sample_batches();
  out.insert(out.end(), batches.begin(), batches.end());
  // Record sets of several batches, and one ending in a partial batch.
  Input all;
  for (const auto& batch : batches) append_bytes(all, batch);
  out.push_back(all);
  Input partial = batches[0];
  partial.insert(partial.end(), batches[1].begin(), batches[1].begin() + 30);
  out.push_back(partial);
}

}  // namespace freshet::fuzz
