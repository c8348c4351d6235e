// The log cleaner's throughput on one core: a compacted partition of
// FRESHET_CLEANER_BENCH_MIB (1024) MiB of 1 KiB records over 100 000 keys,
// in 100-record batches (uncompressed, or lz4) and 128 MiB segments, is
// cleaned whole (map, rewrite, sync of the output) once per iteration; the
// output is discarded so that every iteration cleans the same dirty log.
// Reported: bytes of log read per second (Kafka's cleaner statistic).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include "protocol/record_batch_builder.h"
#include "storage/log_cleaner.h"
#include "storage/partition_log.h"

namespace {

using namespace freshet;

constexpr int kKeys = 100000;
constexpr int kRecordsPerBatch = 100;
constexpr size_t kValueBytes = 1024;

uint64_t log_bytes() {
  const char* mib = std::getenv("FRESHET_CLEANER_BENCH_MIB");
  return (mib ? std::strtoull(mib, nullptr, 10) : 1024) << 20;
}

// A compacted partition log in a temporary directory, filled once per codec.
struct DirtyLog {
  std::filesystem::path dir;
  std::unique_ptr<storage::PartitionLog> log;

  explicit DirtyLog(protocol::Compression compression) {
    char pattern[] = "/tmp/freshet-cleaner-bench-XXXXXX";
    dir = std::filesystem::path(mkdtemp(pattern)) / "profiles-0";
    storage::LogConfig config;
    config.segment_bytes = 128 << 20;
    config.compact = true;
    config.delete_retention = false;
    config.min_cleanable_dirty_ratio = 0;
    log = storage::PartitionLog::open(dir, config, {1, 2}, {});
    std::mt19937_64 random(42);
    std::string value(kValueBytes, 'v');
    const uint64_t target = log_bytes();
    for (int64_t offset = 0; log->size_bytes() < target;) {
      protocol::RecordBatchOptions options;
      options.compression = compression;
      protocol::RecordBatchBuilder builder(options);
      for (int i = 0; i < kRecordsPerBatch; ++i, ++offset) {
        const std::string key = "user-" + std::to_string(random() % kKeys);
        for (size_t j = 0; j < 16; ++j) value[j] = static_cast<char>('a' + random() % 26);
        builder.append(offset, std::span(reinterpret_cast<const uint8_t*>(key.data()), key.size()),
                       std::span(reinterpret_cast<const uint8_t*>(value.data()), value.size()));
      }
      auto batch = builder.build();
      log->append(batch, 0, 0);
    }
    // Seals the last full segment: everything but a small tail is cleanable.
    log->set_config([&] {
      storage::LogConfig small = log->config();
      small.segment_bytes = 1;
      return small;
    }());
    protocol::RecordBatchBuilder tail({});
    tail.append(0, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>("end"), 3), std::nullopt);
    auto batch = tail.build();
    log->append(batch, 0, 0);
  }
  ~DirtyLog() {
    log->close();
    std::filesystem::remove_all(dir.parent_path());
  }
};

void BM_CleanWholeLog(benchmark::State& state) {
  static DirtyLog plain(protocol::Compression::None);
  static DirtyLog lz4(protocol::Compression::Lz4);
  DirtyLog& dirty = state.range(0) == 0 ? plain : lz4;
  std::atomic<bool> stop{false};
  storage::IoThrottle throttle(0);
  uint64_t read = 0, written = 0;
  for (auto _ : state) {
    auto job = dirty.log->plan_cleaning(0, dirty.log->log_end_offset());
    if (!job) {
      state.SkipWithError("no cleaning due");
      return;
    }
    storage::OffsetMap map(storage::offset_map_bytes_for(*job, 128 << 20, 0.9));
    auto result = storage::clean_log(*job, {&map, &throttle, &stop, 512 * 1024}, 0);
    read += result.stats.bytes_read;
    written += result.stats.bytes_written;
    state.PauseTiming();
    dirty.log->discard_cleaned(result);
    state.ResumeTiming();
  }
  state.SetBytesProcessed(static_cast<int64_t>(read));
  state.counters["output_ratio"] = static_cast<double>(written) / static_cast<double>(read);
}
BENCHMARK(BM_CleanWholeLog)->Arg(0)->Arg(1)->ArgName("lz4")->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

}  // namespace
