// Checks one partition's record set from a Produce request the way Kafka's
// LogValidator does for magic 2, and prepares the batches for the log:
// framing, CRC, size against max.message.bytes, control batches, timestamps,
// then LogAppendTime stamping and recompression when the topic asks for them.
// Never decompresses a batch unless the topic's compression.type requires it.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "protocol/errors.h"
#include "protocol/wire.h"
#include "server/produce_policy.h"

namespace freshet::server {

struct ValidatedBatches {
  protocol::ErrorCode error = protocol::ErrorCode::None;
  std::string message;
  // The batches for the log, in order: views into the request's record set
  // when a batch is stored as sent (the common case: no copy), or into
  // `rewritten` when the topic's rules changed it.
  std::vector<std::span<const uint8_t>> batches;
  std::vector<std::vector<uint8_t>> rewritten;  // LogAppendTime / recompressed batches
};

// `produce_version` is the request's: v3+ must carry exactly one magic-2
// batch per partition, zstd needs v7+ (Kafka's ProduceRequest rules). The
// result may view `records`' bytes, which must outlive it.
ValidatedBatches validate_produce_records(const std::optional<protocol::Records>& records, int16_t produce_version,
                                          const ProducePolicy& policy, int64_t now_ms);

}  // namespace freshet::server
