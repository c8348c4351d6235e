// Partition log throughput: appending batches of 100-byte records the way the
// broker does (append_borrowed: written from the caller's buffer), 16 KiB and
// 1 MiB (librdkafka's batch.size) batches in the page cache only, 16 KiB ones
// with a group-commit fdatasync every N appends; and reading 1 MiB fetches
// back. Rates are per wall-clock second.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "protocol/record_batch_builder.h"
#include "storage/partition_log.h"

namespace {

using freshet::storage::LogConfig;
using freshet::storage::PartitionLog;

constexpr size_t kRecordValueBytes = 100;
// Past this many bytes the log is truncated (untimed) to bound disk use.
constexpr uint64_t kMaxLogBytes = 256ull << 20;

class ScratchLog {
 public:
  ScratchLog() {
    std::string pattern = (std::filesystem::temp_directory_path() / "freshet-bench-XXXXXX").string();
    root_ = ::mkdtemp(pattern.data());
    LogConfig config;
    config.segment_bytes = 64 << 20;
    log_ = PartitionLog::open(root_ / "bench-0", config, {}, {});
  }
  ~ScratchLog() {
    log_.reset();
    std::filesystem::remove_all(root_);
  }
  PartitionLog& log() { return *log_; }

 private:
  std::filesystem::path root_;
  std::unique_ptr<PartitionLog> log_;
};

// A batch of about `batch_bytes`; `records` is set to its record count.
std::vector<uint8_t> make_batch(size_t batch_bytes, int& records) {
  freshet::protocol::RecordBatchBuilder builder({});
  std::vector<uint8_t> value(kRecordValueBytes, 'v');
  records = 0;
  while (builder.uncompressed_records_bytes() + kRecordValueBytes + 16 < batch_bytes - 61) {
    builder.append(1'700'000'000'000 + records, std::nullopt, std::span<const uint8_t>(value));
    ++records;
  }
  return builder.build();
}

void append_batches(benchmark::State& state, size_t batch_bytes, int64_t appends_per_flush) {
  ScratchLog scratch;
  int records = 0;
  auto batch = make_batch(batch_bytes, records);
  uint64_t written = 0;
  int64_t since_flush = 0;
  for (auto _ : state) {
    scratch.log().append_borrowed(batch, 0, 0);
    written += batch.size();
    if (appends_per_flush > 0 && ++since_flush == appends_per_flush) {
      auto target = scratch.log().flush_target();
      target.sync();
      scratch.log().mark_flushed(target);
      since_flush = 0;
    }
    if (written >= kMaxLogBytes) {
      state.PauseTiming();
      scratch.log().truncate_to(0);
      written = 0;
      state.ResumeTiming();
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * batch.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * records);
}

void BM_Append16KiBBatches(benchmark::State& state) { append_batches(state, 16 * 1024, 0); }
BENCHMARK(BM_Append16KiBBatches)->UseRealTime();

void BM_Append1MiBBatches(benchmark::State& state) { append_batches(state, 1 << 20, 0); }
BENCHMARK(BM_Append1MiBBatches)->UseRealTime();

// Group commit: one fdatasync per `range(0)` appends.
void BM_Append16KiBBatchesWithFlush(benchmark::State& state) { append_batches(state, 16 * 1024, state.range(0)); }
BENCHMARK(BM_Append16KiBBatchesWithFlush)->Arg(1)->Arg(16)->Arg(64)->UseRealTime();

void BM_Read1MiBFetches(benchmark::State& state) {
  ScratchLog scratch;
  int records = 0;
  auto batch = make_batch(16 * 1024, records);
  for (uint64_t bytes = 0; bytes < (64ull << 20); bytes += batch.size()) scratch.log().append_borrowed(batch, 0, 0);
  std::mt19937_64 rng(1);
  int64_t end = scratch.log().log_end_offset();
  size_t bytes_read = 0;
  for (auto _ : state) {
    auto result = scratch.log().read(static_cast<int64_t>(rng() % static_cast<uint64_t>(end)), 1 << 20, true, end);
    bytes_read += result.records.bytes.size();
    benchmark::DoNotOptimize(result);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes_read));
}
BENCHMARK(BM_Read1MiBFetches)->UseRealTime();

}  // namespace
