#include "server/produce_validator.h"

#include <fmt/format.h>

#include "protocol/batch_iterator.h"
#include "protocol/batch_records.h"
#include "protocol/legacy_messages.h"
#include "protocol/record_batch.h"

namespace freshet::server {

namespace {
using protocol::ErrorCode;

ValidatedBatches fail(ErrorCode error, std::string message) {
  ValidatedBatches out;
  out.error = error;
  out.message = std::move(message);
  return out;
}

// Kafka's validateBatch for a client's magic-2 batch; nullopt when it passes.
std::optional<std::string> header_problem(const protocol::RecordBatchHeader& h, std::string_view topic_partition) {
  const int64_t last_offset = h.last_offset();
  const int64_t count_from_offsets = int64_t{h.last_offset_delta} + 1;
  if (count_from_offsets <= 0)
    return fmt::format("Batch has an invalid offset range: [{}, {}] in topic partition {}", h.base_offset, last_offset,
                       topic_partition);
  if (h.records_count <= 0)
    return fmt::format("Invalid reported count for record batch: {} in topic partition {}", h.records_count,
                       topic_partition);
  if (count_from_offsets != h.records_count)
    return fmt::format("Inconsistent batch offset range [{}, {}] and count of records {} in topic partition {}",
                       h.base_offset, last_offset, h.records_count, topic_partition);
  if (h.is_control())
    return fmt::format("Clients are not allowed to write control records in topic partition {}", topic_partition);
  if (h.producer_id >= 0 && h.base_sequence < 0)
    return fmt::format("Invalid sequence number {} in record batch with producerId {} in topic partition {}",
                       h.base_sequence, h.producer_id, topic_partition);
  return std::nullopt;
}

// The batch as the log must store it, when a rule changes it; nullopt when
// it is stored as sent. Kafka rewrites a CreateTime batch's max_timestamp
// (and clears a LogAppendTime flag the producer set) to the records' own.
std::optional<std::vector<uint8_t>> rewrite(std::span<const uint8_t> batch, const protocol::RecordBatchHeader& header,
                                            int64_t records_max_timestamp, const ProducePolicy& policy,
                                            int64_t now_ms) {
  const bool recompress = policy.recompress_to && *policy.recompress_to != header.compression();
  const bool restamp = !policy.log_append_time &&
                       (header.max_timestamp != records_max_timestamp || header.log_append_time());
  if (!recompress && !restamp && !policy.log_append_time) return std::nullopt;
  std::vector<uint8_t> copy =
      recompress ? protocol::recompress_batch(batch, *policy.recompress_to, policy.max_uncompressed_batch_bytes())
                 : std::vector<uint8_t>(batch.begin(), batch.end());
  if (policy.log_append_time)
    protocol::set_log_append_time(copy, now_ms);
  else if (restamp)
    protocol::set_create_time(copy, records_max_timestamp);
  return copy;
}

}  // namespace

ValidatedBatches validate_produce_records(const std::optional<protocol::Records>& records, int16_t produce_version,
                                          const ProducePolicy& policy, std::string_view topic_partition,
                                          int64_t now_ms) {
  if (!records || records->bytes.empty()) return fail(ErrorCode::CorruptMessage, "Produce request has no records");
  std::span<const uint8_t> record_set = records->bytes;
  // Message formats v0/v1 (Produce v0-2 only) are stored as one v2 batch.
  std::vector<uint8_t> upconverted;
  if (produce_version < 3 && protocol::is_legacy_message_set(record_set)) {
    try {
      upconverted = protocol::upconvert_message_set(record_set, policy.max_uncompressed_batch_bytes());
    } catch (const protocol::DecodeError& e) {
      return fail(ErrorCode::CorruptMessage, fmt::format("{} in topic partition {}", e.what(), topic_partition));
    }
    record_set = upconverted;
  }
  std::vector<std::span<const uint8_t>> batches;
  try {
    batches = protocol::split_batches(record_set);
  } catch (const protocol::BatchFormatError& e) {
    if (e.kind() == protocol::BatchFormatError::Kind::kUnsupportedMagic)
      return fail(ErrorCode::InvalidRecord,
                  fmt::format("Produce requests with version {} are only allowed to contain record batches with "
                              "magic version 2 ({})",
                              produce_version, e.what()));
    return fail(ErrorCode::CorruptMessage, e.what());
  }
  if (produce_version >= 3 && batches.size() != 1)
    return fail(ErrorCode::InvalidRecord,
                fmt::format("Produce requests with version {} must have exactly one record batch per partition", produce_version));
  ValidatedBatches out;
  // The conversion's buffer moves with its heap storage: `batches` stays valid.
  if (!upconverted.empty()) out.rewritten.push_back(std::move(upconverted));
  for (auto batch : batches) {
    auto header = *protocol::parse_batch_header(batch);
    if (batch.size() > static_cast<size_t>(policy.max_message_bytes))
      return fail(ErrorCode::MessageTooLarge,
                  fmt::format("The record batch size in the append to {} is {} bytes which exceeds the maximum "
                              "configured value of {}.",
                              topic_partition, batch.size(), policy.max_message_bytes));
    if (!protocol::batch_crc_valid(batch))
      return fail(ErrorCode::CorruptMessage,
                  fmt::format("Record is corrupt (stored crc = {}, computed crc = {}) in topic partition {}.", header.crc,
                              protocol::compute_batch_crc(batch), topic_partition));
    if (auto problem = header_problem(header, topic_partition)) return fail(ErrorCode::InvalidRecord, *problem);
    if (static_cast<uint8_t>(header.compression()) > static_cast<uint8_t>(protocol::Compression::Zstd))
      return fail(ErrorCode::CorruptMessage, "Unknown compression codec in record batch");
    if (header.compression() == protocol::Compression::Zstd && produce_version < 7)
      return fail(ErrorCode::UnsupportedCompressionType, "Produce requests below version 7 cannot use zstd");

    RecordsVerdict verdict = validate_batch_records(batch, header, policy, topic_partition, now_ms);
    if (verdict.error != ErrorCode::None) {
      ValidatedBatches rejected = fail(verdict.error, std::move(verdict.message));
      rejected.record_errors = std::move(verdict.record_errors);
      return rejected;
    }
    std::optional<std::vector<uint8_t>> stored;
    try {
      stored = rewrite(batch, header, verdict.max_timestamp, policy, now_ms);
    } catch (const protocol::DecodeError& e) {  // the records passed; only the whole-batch cap can fail
      return fail(ErrorCode::CorruptMessage, e.what());
    }
    if (!stored) {
      out.batches.push_back(batch);
      continue;
    }
    out.rewritten.push_back(std::move(*stored));
    out.batches.push_back(out.rewritten.back());  // the vector's heap buffer stays put when `rewritten` grows
  }
  return out;
}

}  // namespace freshet::server
