#include "protocol/record_batch_builder.h"

#include <algorithm>
#include <stdexcept>

namespace freshet::protocol {

RecordBatchBuilder::RecordBatchBuilder(const RecordBatchOptions& options)
    : options_(options), base_timestamp_(options.delete_horizon_ms) {}

void RecordBatchBuilder::append(int64_t timestamp_ms, BytesView key, BytesView value,
                                std::span<const RecordHeader> headers) {
  append_at(last_offset_delta_ ? *last_offset_delta_ + 1 : 0, timestamp_ms, key, value, headers);
}

void RecordBatchBuilder::append_at(int32_t offset_delta, int64_t timestamp_ms, BytesView key, BytesView value,
                                   std::span<const RecordHeader> headers) {
  if (offset_delta < 0 || (last_offset_delta_ && offset_delta <= *last_offset_delta_)) {
    throw std::invalid_argument("record offset deltas must increase from 0");
  }
  // Kafka takes the first record's timestamp as the batch's base.
  if (!base_timestamp_) base_timestamp_ = timestamp_ms;
  write_record(records_, timestamp_ms - *base_timestamp_, offset_delta, key, value, headers);
  ++record_count_;
  last_offset_delta_ = offset_delta;
  max_timestamp_ = std::max(max_timestamp_, timestamp_ms);
}

std::vector<uint8_t> RecordBatchBuilder::build() {
  RecordBatchHeader h;
  h.base_offset = options_.base_offset;
  h.partition_leader_epoch = options_.partition_leader_epoch;
  h.attributes = static_cast<int16_t>(static_cast<int16_t>(options_.compression) |
                                      (options_.log_append_time ? kLogAppendTimeBit : 0) |
                                      (options_.transactional ? kTransactionalBit : 0) |
                                      (options_.control ? kControlBit : 0) |
                                      (options_.delete_horizon_ms ? kDeleteHorizonBit : 0));
  h.last_offset_delta = options_.last_offset_delta.value_or(last_offset_delta_.value_or(0));
  h.base_timestamp = base_timestamp_.value_or(kNoTimestamp);
  h.max_timestamp = max_timestamp_;
  h.producer_id = options_.producer_id;
  h.producer_epoch = options_.producer_epoch;
  h.base_sequence = options_.base_sequence;
  h.records_count = record_count_;
  return encode_batch(h, records_.buffer());
}

}  // namespace freshet::protocol
