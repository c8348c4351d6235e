// Valid RecordBatch v2 encodings for fuzz seeds, built with the project's own
// RecordBatchBuilder: every codec, with and without keys, values and
// headers, idempotent and transactional producers, LogAppendTime, a
// compaction delete horizon, and commit/abort control batches.
#pragma once

#include <cstdint>
#include <vector>

#include "fuzz_target.h"

namespace freshet::fuzz {

// A fixed record timestamp, so seeds are the same on every run.
constexpr int64_t kSeedTimestampMs = 1'700'000'000'000;

// One whole batch per element.
std::vector<Input> sample_batches();

}  // namespace freshet::fuzz
