#include "cluster/metadata_log.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "protocol/batch_iterator.h"
#include "protocol/batch_records.h"
#include "protocol/record_batch_builder.h"

namespace freshet::cluster {

namespace {
constexpr int32_t kReadChunkBytes = 1 << 20;
constexpr size_t kMaxBatchRecordsBytes = 64 << 20;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}
}  // namespace

std::unique_ptr<MetadataLog> MetadataLog::open(const std::filesystem::path& dir, MetadataImage& image) {
  // Validate the whole log on every start: it is small, and it is the truth.
  storage::StartupState state;
  state.clean_shutdown = false;
  auto log = std::unique_ptr<MetadataLog>(new MetadataLog(storage::PartitionLog::open(dir, storage::LogConfig{}, {}, state)));
  log->replay(image);
  return log;
}

void MetadataLog::replay(MetadataImage& image) {
  int64_t offset = log_->log_start_offset();
  size_t applied = 0;
  while (offset < log_->log_end_offset()) {
    auto result = log_->read(offset, kReadChunkBytes, true, log_->log_end_offset());
    if (result.records.bytes.empty()) break;
    protocol::BatchIterator batches(result.records.bytes);
    while (auto batch = batches.next()) {
      for (const auto& record : protocol::decode_records(*batch, kMaxBatchRecordsBytes)) {
        if (!record.value) continue;
        if (auto decoded = decode_metadata_record(*record.value)) {
          image.apply(*decoded);
          ++applied;
        }
      }
    }
    offset = result.next_offset;
  }
  spdlog::info("metadata log: replayed {} record(s), end offset {}", applied, log_->log_end_offset());
}

void MetadataLog::append(const std::vector<MetadataRecord>& records) {
  int64_t now = now_ms();
  protocol::RecordBatchBuilder builder(protocol::RecordBatchOptions{});
  std::vector<std::vector<uint8_t>> values;
  values.reserve(records.size());
  for (const auto& record : records) {
    values.push_back(encode_metadata_record(record));
    builder.append(now, std::nullopt, std::span<const uint8_t>(values.back()));
  }
  auto batch = builder.build();
  log_->append(batch, 0, now);
  auto target = log_->flush_target();
  try {
    target.sync();
  } catch (...) {
    log_->flush_failed(target);
    throw;
  }
  log_->mark_flushed(target);
}

void MetadataLog::close() { log_->close(); }

}  // namespace freshet::cluster
