// Checks one partition's record set from a Produce request the way Kafka's
// LogValidator (and UnifiedLog's analyzeAndValidateRecords) do for magic 2,
// and prepares the batches for the log: framing, size against
// max.message.bytes, CRC, the batch header's counts, offsets, control and
// producer fields, then every record (record_validator), then the rewrites
// a rule requires: recompression to the topic's compression.type,
// LogAppendTime stamping, or a CreateTime max_timestamp corrected to the
// records'. Validation streams compressed records; only recompression
// decompresses a batch whole.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/errors.h"
#include "protocol/wire.h"
#include "server/produce_policy.h"
#include "server/record_validator.h"

namespace freshet::server {

struct ValidatedBatches {
  protocol::ErrorCode error = protocol::ErrorCode::None;
  std::string message;
  std::vector<RecordError> record_errors;  // KIP-467, for the failing batch
  // The batches for the log, in order: views into the request's record set
  // when a batch is stored as sent (the common case: no copy), or into
  // `rewritten` when the topic's rules changed it.
  std::vector<std::span<const uint8_t>> batches;
  std::vector<std::vector<uint8_t>> rewritten;  // recompressed / re-stamped batches
};

// `produce_version` is the request's: v3+ must carry exactly one magic-2
// batch per partition, zstd needs v7+ (Kafka's ProduceRequest rules); v0-2
// may carry message formats v0/v1, which are up-converted to one v2 batch
// first (then checked like any other).
// `topic_partition` ("name-index") ends messages as Kafka's do. The result
// may view `records`' bytes, which must outlive it.
ValidatedBatches validate_produce_records(const std::optional<protocol::Records>& records, int16_t produce_version,
                                          const ProducePolicy& policy, std::string_view topic_partition,
                                          int64_t now_ms);

}  // namespace freshet::server
