// Storage recovery after an unclean shutdown, from a segment's bytes: the
// input becomes the only segment (00000000000000000000.log, no indexes) of a
// partition directory; storage::BatchScanner walks it as recovery does, then
// PartitionLog::open recovers it (cuts the torn or corrupt tail). Whatever it
// keeps must read back as whole batches with valid CRCs at increasing
// offsets, and the log must accept a new batch after them.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>

#include "fuzz_target.h"
#include "protocol/batch_iterator.h"
#include "protocol/record_batch.h"
#include "protocol/record_batch_builder.h"
#include "seed_batches.h"
#include "storage/batch_scanner.h"
#include "storage/file_handle.h"
#include "storage/partition_log.h"
#include "storage/storage_error.h"

namespace {

using namespace freshet;

constexpr int32_t kReadChunkBytes = 64 << 10;

const std::filesystem::path& partition_dir() {
  static const std::filesystem::path dir = [] {
    spdlog::set_level(spdlog::level::off);  // recovery warns about every torn tail
    const char* base = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
    return std::filesystem::path(base) / ("freshet-fuzz-recovery-" + std::to_string(getpid())) / "t-0";
  }();
  static const bool cleanup_registered = [] {
    return std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(dir.parent_path(), ignored);
    }) == 0;
  }();
  (void)cleanup_registered;
  return dir;
}

void scan(const std::filesystem::path& segment, size_t input_size) {
  auto file = storage::FileHandle::open(segment, false);
  storage::BatchScanner scanner(*file, 0, input_size, 4096);
  uint64_t previous_end = 0;
  while (auto location = scanner.next()) {
    FUZZ_CHECK(location->position == previous_end);
    previous_end = location->position + location->header.total_size();
    FUZZ_CHECK(previous_end <= input_size);
    const std::span<const uint8_t> bytes = scanner.current_bytes();
    FUZZ_CHECK(bytes.size() == location->header.total_size());
    protocol::batch_crc_valid(bytes);
  }
  FUZZ_CHECK(scanner.position() == previous_end);
}

void check_recovered(storage::PartitionLog& log) {
  int64_t next_offset = log.log_start_offset();
  while (next_offset < log.log_end_offset()) {
    const storage::ReadResult result = log.read(next_offset, kReadChunkBytes, true, log.log_end_offset());
    FUZZ_CHECK(result.status == storage::ReadStatus::kOk);
    if (result.records.bytes.empty()) break;
    protocol::BatchIterator batches(result.records.bytes);
    int64_t expected_at_least = next_offset;
    while (auto batch = batches.next()) {
      FUZZ_CHECK(protocol::batch_crc_valid(*batch));
      const auto header = protocol::parse_batch_header(*batch);
      FUZZ_CHECK(header->last_offset() >= expected_at_least);
      expected_at_least = header->last_offset() + 1;
    }
    FUZZ_CHECK(result.next_offset > next_offset);
    next_offset = result.next_offset;
  }
  protocol::RecordBatchBuilder builder({});
  const uint8_t value[] = {'v'};
  builder.append(fuzz::kSeedTimestampMs, std::nullopt, std::span<const uint8_t>(value));
  std::vector<uint8_t> batch = builder.build();
  const int64_t end_before = log.log_end_offset();
  const storage::AppendResult appended = log.append(batch, 0, fuzz::kSeedTimestampMs);
  FUZZ_CHECK(appended.base_offset == end_before && log.log_end_offset() == end_before + 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::filesystem::path& dir = partition_dir();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::filesystem::path segment = dir / "00000000000000000000.log";
  storage::FileHandle::open(segment, true)->write_at(std::span<const uint8_t>(data, size), 0);
  scan(segment, size);

  storage::LogConfig config;
  config.segment_index_bytes = 64 << 10;
  storage::StartupState unclean;
  unclean.clean_shutdown = false;
  std::unique_ptr<storage::PartitionLog> log;
  try {
    log = storage::PartitionLog::open(dir, config, protocol::Uuid{1, 2}, unclean);
  } catch (const storage::StorageError& e) {
    fuzz::check_failed(e.what(), __FILE__, __LINE__);  // recovery must cope with any segment bytes
  }
  check_recovered(*log);
  log->close();
  return 0;
}

namespace freshet::fuzz {

// Segments as the log writes them: batches at consecutive offsets.
void fuzz_seeds(std::vector<Input>& out) {
  int64_t offset = 0;
  Input segment;
  for (Input batch : sample_batches()) {
    auto header = protocol::parse_batch_header(batch);
    protocol::set_base_offset(batch, offset);
    offset += header->last_offset_delta + 1;
    Input one = batch;
    protocol::set_base_offset(one, 0);
    out.push_back(one);
    append_bytes(segment, batch);
  }
  out.push_back(segment);
  Input torn = segment;
  torn.resize(torn.size() - 10);
  out.push_back(torn);
}

}  // namespace freshet::fuzz
