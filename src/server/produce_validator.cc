#include "server/produce_validator.h"

#include <fmt/format.h>

#include "protocol/batch_iterator.h"
#include "protocol/batch_records.h"
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

// Kafka checks every record's timestamp; the batch's base and max timestamps
// bound them (records may be out of order, base is the first record's).
std::optional<std::string> timestamp_problem(const protocol::RecordBatchHeader& h, const ProducePolicy& policy, int64_t now_ms) {
  for (int64_t ts : {h.base_timestamp, h.max_timestamp}) {
    if (ts < 0) continue;
    if (now_ms - ts > policy.timestamp_before_max_ms || ts - now_ms > policy.timestamp_after_max_ms)
      return fmt::format("Timestamp {} of message is out of range. The timestamp should be within [{}, {}]", ts,
                         policy.timestamp_before_max_ms == INT64_MAX ? INT64_MIN : now_ms - policy.timestamp_before_max_ms,
                         policy.timestamp_after_max_ms == INT64_MAX ? INT64_MAX : now_ms + policy.timestamp_after_max_ms);
  }
  return std::nullopt;
}
}  // namespace

ValidatedBatches validate_produce_records(const std::optional<protocol::Records>& records, int16_t produce_version,
                                          const ProducePolicy& policy, int64_t now_ms) {
  if (!records || records->bytes.empty()) return fail(ErrorCode::CorruptMessage, "Produce request has no records");
  std::vector<std::span<const uint8_t>> batches;
  try {
    batches = protocol::split_batches(records->bytes);
  } catch (const protocol::BatchFormatError& e) {
    if (e.kind() == protocol::BatchFormatError::Kind::kUnsupportedMagic)
      return fail(produce_version >= 3 ? ErrorCode::InvalidRecord : ErrorCode::UnsupportedForMessageFormat,
                  fmt::format("{} (Freshet stores only message format v2; upgrade the client)", e.what()));
    return fail(ErrorCode::CorruptMessage, e.what());
  }
  if (produce_version >= 3 && batches.size() != 1)
    return fail(ErrorCode::InvalidRecord,
                fmt::format("Produce requests with version {} must have exactly one record batch per partition", produce_version));
  ValidatedBatches out;
  for (auto batch : batches) {
    auto header = *protocol::parse_batch_header(batch);
    if (batch.size() > static_cast<size_t>(policy.max_message_bytes))
      return fail(ErrorCode::MessageTooLarge,
                  fmt::format("The record batch of {} bytes exceeds max.message.bytes={}", batch.size(), policy.max_message_bytes));
    if (!protocol::batch_crc_valid(batch))
      return fail(ErrorCode::CorruptMessage, fmt::format("Record batch CRC mismatch (stored {:#x})", header.crc));
    if (header.records_count <= 0 || header.last_offset_delta < 0)
      return fail(ErrorCode::InvalidRecord, "Record batch has no records");
    if (header.is_control()) return fail(ErrorCode::InvalidRecord, "Clients are not allowed to write control records");
    if (static_cast<uint8_t>(header.compression()) > static_cast<uint8_t>(protocol::Compression::Zstd))
      return fail(ErrorCode::CorruptMessage, "Unknown compression codec in record batch");
    if (header.compression() == protocol::Compression::Zstd && produce_version < 7)
      return fail(ErrorCode::UnsupportedCompressionType, "Produce requests below version 7 cannot use zstd");
    if (!policy.log_append_time)
      if (auto problem = timestamp_problem(header, policy, now_ms)) return fail(ErrorCode::InvalidTimestamp, *problem);

    bool recompress = policy.recompress_to && *policy.recompress_to != header.compression();
    if (!recompress && !policy.log_append_time) {
      out.batches.push_back(batch);
      continue;
    }
    std::vector<uint8_t> copy(batch.begin(), batch.end());
    if (recompress) {
      try {
        size_t cap = static_cast<size_t>(policy.max_message_bytes) * 64 + (1 << 20);
        protocol::decode_records(copy, cap);  // the records are re-encoded byte for byte: check them first
        copy = protocol::recompress_batch(copy, *policy.recompress_to, cap);
      } catch (const protocol::DecodeError& e) {
        return fail(ErrorCode::CorruptMessage, e.what());
      }
    }
    if (policy.log_append_time) protocol::set_log_append_time(copy, now_ms);
    out.rewritten.push_back(std::move(copy));
    out.batches.push_back(out.rewritten.back());  // the vector's heap buffer stays put when `rewritten` grows
  }
  return out;
}

}  // namespace freshet::server
