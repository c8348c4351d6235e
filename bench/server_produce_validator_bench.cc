// The produce validator on one batch of 100-byte records (random values, no
// keys, as freshet_load sends them), per codec: ns per record for the whole
// validate_produce_records() call (framing, CRC, header, every record).
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "protocol/record_batch_builder.h"
#include "server/produce_validator.h"

namespace {

using namespace freshet;

constexpr int kRecords = 9000;  // just under 1 MB uncompressed: a full batch under max.message.bytes
constexpr size_t kValueBytes = 100;
constexpr int64_t kNowMs = 1'700'000'000'000;

std::vector<uint8_t> batch_of(protocol::Compression codec) {
  std::mt19937 rng(1);
  protocol::RecordBatchOptions options;
  options.compression = codec;
  protocol::RecordBatchBuilder builder(options);
  std::vector<uint8_t> value(kValueBytes);
  for (int i = 0; i < kRecords; ++i) {
    for (auto& b : value) b = static_cast<uint8_t>('a' + rng() % 26);  // letters: compressible, as text is
    builder.append(kNowMs, protocol::BytesView(), protocol::BytesView(value));
  }
  return builder.build();
}

void BM_ValidateProduce(benchmark::State& state) {
  const auto codec = static_cast<protocol::Compression>(state.range(0));
  const std::vector<uint8_t> batch = batch_of(codec);
  const std::optional<protocol::Records> records = protocol::Records{batch, nullptr, std::nullopt};
  const server::ProducePolicy policy;
  for (auto _ : state) {
    server::ValidatedBatches result = server::validate_produce_records(records, 9, policy, "bench-0", kNowMs);
    if (result.error != protocol::ErrorCode::None) state.SkipWithError(result.message.c_str());
    benchmark::DoNotOptimize(result);
  }
  state.SetLabel(protocol::compression_name(codec));
  state.counters["batch_bytes"] = static_cast<double>(batch.size());
  state.counters["per_record"] = benchmark::Counter(static_cast<double>(kRecords),
                                                    benchmark::Counter::kIsIterationInvariantRate |
                                                        benchmark::Counter::kInvert);
}

BENCHMARK(BM_ValidateProduce)->DenseRange(0, 4)->Unit(benchmark::kMicrosecond);

}  // namespace
