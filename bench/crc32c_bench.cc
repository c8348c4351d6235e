// CRC-32C throughput of both implementations over typical batch sizes.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "protocol/crc32c.h"

namespace {

using freshet::protocol::crc32c_hardware;
using freshet::protocol::crc32c_hardware_available;
using freshet::protocol::crc32c_software;

std::vector<uint8_t> random_bytes(size_t n) {
  std::mt19937 rng(1);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

template <uint32_t (*Crc)(std::span<const uint8_t>, uint32_t)>
void BM_Crc32c(benchmark::State& state) {
  if (Crc == &crc32c_hardware && !crc32c_hardware_available()) {
    state.SkipWithError("no SSE4.2");
    return;
  }
  const std::vector<uint8_t> data = random_bytes(static_cast<size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(Crc(data, 0));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}

BENCHMARK_TEMPLATE(BM_Crc32c, crc32c_hardware)->RangeMultiplier(8)->Range(64, 1 << 20);
BENCHMARK_TEMPLATE(BM_Crc32c, crc32c_software)->RangeMultiplier(8)->Range(64, 1 << 20);

}  // namespace
