// Checks every record of one produced batch the way Kafka's LogValidator
// does for magic 2, reading the records through protocol::RecordScanner
// (streamed, never decompressed whole): framing and record count, offset
// deltas 0..n-1, keys on compacted topics, and each record's timestamp
// against message.timestamp.type and the before/after bounds.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/errors.h"
#include "protocol/record_batch.h"
#include "server/produce_policy.h"

namespace freshet::server {

// KIP-467: one rejected record, by its index in the batch.
struct RecordError {
  int32_t batch_index = 0;
  std::string message;
  friend bool operator==(const RecordError&, const RecordError&) = default;
};

// At most this many RecordErrors are reported per batch (all are counted in
// the message), which bounds the response a batch of bad records costs.
constexpr size_t kMaxRecordErrors = 1000;

struct RecordsVerdict {
  // CORRUPT_MESSAGE when the records' framing is bad (with a record error
  // naming the record it broke in, when it is one of the declared ones);
  // INVALID_RECORD or INVALID_TIMESTAMP, with a record error per bad record,
  // when records are well formed but break a rule (Kafka's
  // RecordValidationException).
  protocol::ErrorCode error = protocol::ErrorCode::None;
  std::string message;
  std::vector<RecordError> record_errors;
  // The largest record timestamp, computed as Kafka does (kNoTimestamp when
  // no record has one above it); what a CreateTime batch's header must say.
  int64_t max_timestamp = protocol::kNoTimestamp;
};

// `batch` is one whole batch whose header (`header`) and CRC have been
// checked. `topic_partition` ("name-index") ends messages as Kafka's do.
RecordsVerdict validate_batch_records(std::span<const uint8_t> batch, const protocol::RecordBatchHeader& header,
                                      const ProducePolicy& policy, std::string_view topic_partition, int64_t now_ms);

}  // namespace freshet::server
