#include "server/record_validator.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "protocol/record_scanner.h"

namespace freshet::server {
namespace {
using protocol::ErrorCode;

struct Problem {
  ErrorCode error;
  std::string message;
};

// Java's long arithmetic, which Kafka's record timestamps and offsets use.
int64_t wrapping_add(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}

int64_t saturating_add(int64_t a, int64_t b) {
  int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) return b > 0 ? INT64_MAX : INT64_MIN;
  return sum;
}

// Kafka's recordHasInvalidTimestamp, without its overflow.
bool timestamp_in_range(int64_t timestamp, int64_t now_ms, const ProducePolicy& policy) {
  int64_t age = 0;
  if (__builtin_sub_overflow(now_ms, timestamp, &age)) return false;
  return age >= 0 ? age <= policy.timestamp_before_max_ms : age >= -policy.timestamp_after_max_ms;
}

struct Context {
  const protocol::RecordBatchHeader& header;
  const ProducePolicy& policy;
  std::string_view topic_partition;
  int64_t now_ms;
};

// Kafka's validateKey then validateTimestamp, preceded by the inner offset
// check: Kafka rebuilds a batch whose offset deltas are not 0..n-1, Freshet
// stores batches as sent and refuses it.
std::optional<Problem> record_problem(const protocol::RecordView& record, int32_t index, int64_t timestamp,
                                      const Context& c) {
  if (record.offset_delta != index) {
    return Problem{ErrorCode::InvalidRecord,
                   fmt::format("Record at batch index {} has offset delta {}: the offset deltas of a batch's {} records "
                               "must be 0 to {} in topic partition {}",
                               index, record.offset_delta, c.header.records_count, c.header.records_count - 1,
                               c.topic_partition)};
  }
  if (c.policy.compacted && !record.key) {
    return Problem{ErrorCode::InvalidRecord,
                   fmt::format("Compacted topic cannot accept message without key in topic partition {}",
                               c.topic_partition)};
  }
  if (!c.policy.log_append_time && timestamp != protocol::kNoTimestamp) {
    if (timestamp_in_range(timestamp, c.now_ms, c.policy)) return std::nullopt;
    return Problem{ErrorCode::InvalidTimestamp,
                   fmt::format("Timestamp {} of message with offset {} is out of range. The timestamp should be "
                               "within [{}, {}]",
                               timestamp, wrapping_add(c.header.base_offset, record.offset_delta),
                               saturating_add(c.now_ms, -c.policy.timestamp_before_max_ms),
                               saturating_add(c.now_ms, c.policy.timestamp_after_max_ms))};
  }
  if (c.header.log_append_time()) {
    return Problem{ErrorCode::InvalidTimestamp,
                   fmt::format("Invalid timestamp type in message DefaultRecord(offset={}, timestamp={}, key={} bytes, "
                               "value={} bytes). Producer should not set timestamp type to LogAppendTime.",
                               wrapping_add(c.header.base_offset, record.offset_delta), timestamp,
                               record.key ? record.key->size() : 0, record.value ? record.value->size() : 0)};
  }
  return std::nullopt;
}

// Framing errors: what Kafka's DefaultRecord and DefaultRecordBatch throw as
// InvalidRecordException, answered INVALID_RECORD as Kafka does (not the
// retriable CORRUPT_MESSAGE, which would make a producer resend the same
// malformed batch until its delivery timeout).
RecordsVerdict corrupt(std::string message) {
  RecordsVerdict out;
  out.error = ErrorCode::InvalidRecord;
  out.message = std::move(message);
  return out;
}

// Kafka's processRecordErrors: the batch fails with the first error type
// that is INVALID_TIMESTAMP if any record's is, else INVALID_RECORD.
void reject(RecordsVerdict& out, size_t error_count, bool any_timestamp_error) {
  if (any_timestamp_error) {
    out.error = ErrorCode::InvalidTimestamp;
    out.message = "One or more records have been rejected due to invalid timestamp";
    return;
  }
  out.error = ErrorCode::InvalidRecord;
  std::string shown;
  for (size_t i = 0; i < std::min<size_t>(out.record_errors.size(), 3); ++i) {
    if (i > 0) shown += ", ";
    shown += fmt::format("RecordError(batchIndex={}, message='{}')", out.record_errors[i].batch_index,
                         out.record_errors[i].message);
  }
  out.message = fmt::format(
      "One or more records have been rejected due to {} record errors in total, and only showing the first three "
      "errors at most: [{}]",
      error_count, shown);
}

}  // namespace

RecordsVerdict validate_batch_records(std::span<const uint8_t> batch, const protocol::RecordBatchHeader& header,
                                      const ProducePolicy& policy, std::string_view topic_partition, int64_t now_ms) {
  const Context context{header, policy, topic_partition, now_ms};
  // A record is never larger uncompressed than a batch may be compressed:
  // producers check the records they send against the same limit.
  const protocol::RecordScanLimits limits{policy.max_uncompressed_batch_bytes(),
                                          static_cast<size_t>(policy.max_message_bytes)};
  RecordsVerdict out;
  size_t error_count = 0;
  bool any_timestamp_error = false;
  int32_t index = 0;
  try {
    protocol::RecordScanner records(batch, header, limits);
    for (; index < header.records_count; ++index) {
      const std::optional<protocol::RecordView> record = records.next();
      if (!record) {
        return corrupt(fmt::format("Record batch declares {} records but holds {} in topic partition {}",
                                   header.records_count, index, topic_partition));
      }
      // A LogAppendTime batch's records all carry its max_timestamp.
      const int64_t timestamp =
          header.log_append_time() ? header.max_timestamp : wrapping_add(header.base_timestamp, record->timestamp_delta);
      if (timestamp > out.max_timestamp) out.max_timestamp = timestamp;
      std::optional<Problem> problem = record_problem(*record, index, timestamp, context);
      if (!problem) continue;
      ++error_count;
      any_timestamp_error |= problem->error == ErrorCode::InvalidTimestamp;
      if (out.record_errors.size() < kMaxRecordErrors) out.record_errors.push_back({index, std::move(problem->message)});
    }
    if (!records.at_end()) {
      return corrupt(fmt::format("Record batch has bytes after its {} records in topic partition {}",
                                 header.records_count, topic_partition));
    }
  } catch (const protocol::DecodeError& e) {
    RecordsVerdict bad = corrupt(
        fmt::format("Corrupt record at batch index {}: {} in topic partition {}", index, e.what(), topic_partition));
    if (index < header.records_count) bad.record_errors.push_back({index, e.what()});
    return bad;
  }
  if (error_count > 0) reject(out, error_count, any_timestamp_error);
  return out;
}

}  // namespace freshet::server
