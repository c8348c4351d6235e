#include "storage/compaction_filter.h"

#include <algorithm>
#include <cassert>
#include <cstdlib>

#include "protocol/record_batch_builder.h"

namespace freshet::storage {

namespace {

// The ranges within which the cleaner computes offsets and timestamps, so
// that no sum or difference overflows; a stored batch outside them (only a
// corrupt one could be) is refused. Kafka's offsets and millisecond
// timestamps lie far inside.
constexpr int64_t kMaxBaseOffset = int64_t{1} << 62;
constexpr int64_t kMaxTimestampMagnitude = int64_t{1} << 61;
constexpr int64_t kMaxTimestampDeltaMagnitude = int64_t{1} << 62;

void check_batch_ranges(const protocol::RecordBatchHeader& header) {
  if (header.base_offset < 0 || header.base_offset > kMaxBaseOffset || header.last_offset_delta < 0 ||
      std::abs(header.base_timestamp) > kMaxTimestampMagnitude || std::abs(header.max_timestamp) > kMaxTimestampMagnitude)
    throw protocol::DecodeError("batch offsets or timestamps out of range for compaction");
}

// Records must come in increasing offsets within the batch's range.
void check_record_ranges(const protocol::RecordBatchHeader& header, const protocol::RecordView& record,
                         int32_t previous_offset_delta) {
  if (record.offset_delta <= previous_offset_delta || record.offset_delta > header.last_offset_delta ||
      std::abs(record.timestamp_delta) > kMaxTimestampDeltaMagnitude)
    throw protocol::DecodeError("record offset or timestamp delta out of range for compaction");
}

// Whether the cleaner keeps `record` of `header`'s batch (LogCleaner's shouldRetainRecord).
bool keeps(const protocol::RecordBatchHeader& header, const protocol::RecordView& record,
           const CompactionContext& context) {
  const int64_t offset = header.base_offset + record.offset_delta;
  if (offset > context.latest->latest_offset()) return true;  // after what the map covers
  if (!record.key) return false;
  if (offset < context.latest->get(*record.key)) return false;  // a later record has its key
  if (record.value) return true;
  return !header.has_delete_horizon() || context.now_ms < header.base_timestamp;
}

// Rebuilds `header`'s batch with the records `keep(record)` selects, with
// its offsets, producer fields and codec. A batch keeping a record that
// `wants_horizon(record)` and carrying no delete horizon yet gets one:
// now + delete.retention.ms (KIP-534). Unchanged bytes are kKeep; a batch
// left without records is dropped unless `keep_if_empty`.
template <typename Keep, typename WantsHorizon>
CompactedBatch filter_records(std::span<const uint8_t> batch, const protocol::RecordBatchHeader& header,
                              const CompactionContext& context, bool keep_if_empty, Keep keep,
                              WantsHorizon wants_horizon) {
  check_batch_ranges(header);
  protocol::RecordBatchOptions options;
  options.compression = header.compression();
  options.base_offset = header.base_offset;
  options.partition_leader_epoch = header.partition_leader_epoch;
  options.producer_id = header.producer_id;
  options.producer_epoch = header.producer_epoch;
  options.base_sequence = header.base_sequence;
  options.transactional = header.is_transactional();
  options.control = header.is_control();
  options.log_append_time = header.log_append_time();
  options.last_offset_delta = header.last_offset_delta;
  if (header.has_delete_horizon()) options.delete_horizon_ms = header.base_timestamp;

  // Copies the records `header`'s batch keeps into `builder` (a record's
  // views last only until the scanner's next one); returns how many.
  auto copy_kept = [&](protocol::RecordBatchBuilder& builder, bool& removed_any, bool& horizon_wanted) {
    int32_t kept = 0;
    int32_t previous_offset_delta = -1;
    protocol::RecordScanner scanner(batch, header, context.limits);
    while (auto record = scanner.next()) {
      check_record_ranges(header, *record, previous_offset_delta);
      previous_offset_delta = record->offset_delta;
      if (!keep(*record)) {
        removed_any = true;
        continue;
      }
      if (wants_horizon(*record)) horizon_wanted = true;
      const int64_t timestamp_ms =
          header.log_append_time() ? header.max_timestamp : header.base_timestamp + record->timestamp_delta;
      if (std::abs(timestamp_ms) > kMaxTimestampMagnitude)
        throw protocol::DecodeError("record timestamp out of range for compaction");
      builder.append_at(record->offset_delta, timestamp_ms, record->key, record->value,
                        protocol::decode_headers(*record));
      ++kept;
    }
    return kept;
  };

  CompactedBatch out;
  bool removed_any = false;
  bool horizon_wanted = false;
  protocol::RecordBatchBuilder builder(options);
  out.records_kept = copy_kept(builder, removed_any, horizon_wanted);
  const bool needs_horizon = horizon_wanted && !header.has_delete_horizon();
  if (!removed_any && !needs_horizon) return out;  // kKeep
  if (out.records_kept == 0 && !keep_if_empty) {
    out.fate = CompactedBatch::Fate::kDrop;
    return out;
  }
  out.fate = CompactedBatch::Fate::kRewrite;
  if (!needs_horizon) {
    out.bytes = builder.build();
    return out;
  }
  // The first cleaning to keep such a record: the record timestamps are
  // deltas from the horizon, so the batch is built again.
  options.delete_horizon_ms =
      context.now_ms + std::clamp<int64_t>(context.delete_retention_ms, 0, kMaxTimestampMagnitude - context.now_ms);
  protocol::RecordBatchBuilder with_horizon(options);
  copy_kept(with_horizon, removed_any, horizon_wanted);
  out.bytes = with_horizon.build();
  return out;
}

}  // namespace

CompactedBatch compact_batch(std::span<const uint8_t> batch, const protocol::RecordBatchHeader& header,
                             const CompactionContext& context, bool aborted, bool keep_if_empty) {
  assert(!header.is_control());
  return filter_records(
      batch, header, context, keep_if_empty,
      [&](const protocol::RecordView& record) { return !aborted && keeps(header, record, context); },
      [](const protocol::RecordView& record) { return !record.value; });
}

CompactedBatch compact_control_batch(std::span<const uint8_t> batch, const protocol::RecordBatchHeader& header,
                                     const CompactionContext& context, bool can_discard) {
  assert(header.is_control());
  if (can_discard && header.has_delete_horizon() && context.now_ms >= header.base_timestamp) {
    check_batch_ranges(header);
    return {CompactedBatch::Fate::kDrop, {}, 0};
  }
  return filter_records(
      batch, header, context, /*keep_if_empty=*/true, [](const protocol::RecordView&) { return true; },
      [can_discard](const protocol::RecordView&) { return can_discard; });
}

}  // namespace freshet::storage
