// Valid RecordBatch v2 encodings for fuzz seeds, built with the project's own
// RecordBatchBuilder: every codec, with and without keys, values and
// headers, idempotent and transactional producers, LogAppendTime, a
// compaction delete horizon, and commit/abort control batches.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "fuzz_target.h"

namespace freshet::fuzz {

// A fixed record timestamp, so seeds are the same on every run.
constexpr int64_t kSeedTimestampMs = 1'700'000'000'000;

// One whole batch per element.
std::vector<Input> sample_batches();

// Calls check(batch) for each whole batch of the record set `data` (at most
// max_batch_bytes each), stopping where its framing breaks (a DecodeError).
void for_each_batch(std::span<const uint8_t> data, size_t max_batch_bytes,
                    const std::function<void(std::span<const uint8_t>)>& check);

}  // namespace freshet::fuzz
