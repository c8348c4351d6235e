// Log compaction on whatever a segment may hold: each batch of the input
// whose header parses goes through compact_batch() with a map holding the
// keys of the first half of its records (so records are both removed and
// kept), a tombstone horizon taken from the input, aborted or not. A rewrite
// must be a valid batch (CRC, offsets, producer fields kept) holding exactly
// the records it says it kept; malformed records may only raise DecodeError.
#include "fuzz_target.h"
#include "protocol/batch_records.h"
#include "protocol/record_batch.h"
#include "seed_batches.h"
#include "storage/compaction_filter.h"

namespace {

using namespace freshet::protocol;
using freshet::storage::CompactedBatch;
using freshet::storage::CompactionContext;
using freshet::storage::OffsetMap;

constexpr size_t kMaxBatchBytes = 1 << 20;
constexpr size_t kMaxUncompressedBytes = 4 << 20;

void check_batch(std::span<const uint8_t> batch) {
  const RecordBatchHeader header = *parse_batch_header(batch);
  if (header.is_control()) return;
  std::vector<Record> records;
  try {
    records = decode_records(batch, kMaxUncompressedBytes);
  } catch (const DecodeError&) {
    return;
  }
  if (header.base_offset < 0 || header.base_offset > (int64_t{1} << 62)) return;
  OffsetMap map(4096);
  for (size_t i = 0; i < records.size() / 2; ++i) {
    const int64_t offset = header.base_offset + records[i].offset_delta;
    if (records[i].key && offset >= 0 && offset >= map.latest_offset()) map.put(*records[i].key, offset);
  }
  // "Now" from the input, within the range the cleaner supports.
  const int64_t now_ms = static_cast<int64_t>(header.crc) << 20;
  CompactionContext context{&map, now_ms, static_cast<int64_t>(header.crc % 1000), {}};
  context.limits.max_uncompressed_bytes = kMaxUncompressedBytes;
  CompactedBatch out;
  try {
    out = freshet::storage::compact_batch(batch, header, context, header.crc % 7 == 0, header.crc % 3 == 0);
  } catch (const DecodeError&) {
    return;
  }
  if (out.fate != CompactedBatch::Fate::kRewrite) return;
  FUZZ_CHECK(batch_crc_valid(out.bytes));
  const RecordBatchHeader rewritten = *parse_batch_header(out.bytes);
  FUZZ_CHECK(rewritten.base_offset == header.base_offset);
  FUZZ_CHECK(rewritten.last_offset_delta == header.last_offset_delta);
  FUZZ_CHECK(rewritten.producer_id == header.producer_id && rewritten.base_sequence == header.base_sequence);
  FUZZ_CHECK(rewritten.records_count == out.records_kept);
  FUZZ_CHECK(static_cast<size_t>(out.records_kept) <= records.size());
  FUZZ_CHECK(decode_records(out.bytes, kMaxUncompressedBytes).size() == static_cast<size_t>(out.records_kept));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  freshet::fuzz::for_each_batch(std::span<const uint8_t>(data, size), kMaxBatchBytes, check_batch);
  return 0;
}

namespace freshet::fuzz {

void fuzz_seeds(std::vector<Input>& out) {
  const std::vector<Input> batches = sample_batches();
  out.insert(out.end(), batches.begin(), batches.end());
}

}  // namespace freshet::fuzz
