// Helpers for the storage tests: temporary directories and record batches.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <vector>

#include "protocol/record_batch.h"
#include "protocol/record_batch_builder.h"
#include "storage/partition_log.h"

namespace freshet::storage::testing {

// A read size limit that never binds.
inline constexpr int64_t kNoLimit = INT64_MAX;
// The topic id the tests' partitions belong to.
inline const protocol::Uuid kTopicId{0x1234, 0x5678};

// The record bytes a read returned.
inline std::vector<uint8_t> bytes_of(const ReadResult& read) {
  return {read.records.bytes.begin(), read.records.bytes.end()};
}

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "freshet-storage-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A valid v2 batch (base offset 0) of `records` records with `value_bytes`-byte
// values and CreateTime timestamps first_timestamp_ms, +1, +2, ...
inline std::vector<uint8_t> make_batch(int records, size_t value_bytes, int64_t first_timestamp_ms,
                                       protocol::Compression compression = protocol::Compression::None) {
  protocol::RecordBatchOptions options;
  options.compression = compression;
  protocol::RecordBatchBuilder builder(options);
  std::vector<uint8_t> value(value_bytes, 'v');
  for (int i = 0; i < records; ++i)
    builder.append(first_timestamp_ms + i, std::nullopt, std::span<const uint8_t>(value));
  return builder.build();
}

// A batch of `records` records from an idempotent (or, when `transactional`,
// a transactional) producer, its first record at `base_sequence`; the
// records' timestamps are timestamp_ms, +1, +2, ...
struct ProducerBatch {
  int64_t producer_id;
  int16_t producer_epoch = 0;
  int32_t base_sequence = 0;
  int records = 1;
  bool transactional = false;
  int64_t timestamp_ms = 1000;
};
inline std::vector<uint8_t> make_producer_batch(const ProducerBatch& p) {
  protocol::RecordBatchOptions options;
  options.producer_id = p.producer_id;
  options.producer_epoch = p.producer_epoch;
  options.base_sequence = p.base_sequence;
  options.transactional = p.transactional;
  protocol::RecordBatchBuilder builder(options);
  std::vector<uint8_t> value{'p'};
  for (int i = 0; i < p.records; ++i) builder.append(p.timestamp_ms + i, std::nullopt, std::span<const uint8_t>(value));
  return builder.build();
}

// A batch whose records carry the given timestamps (in that order).
inline std::vector<uint8_t> make_batch_with_timestamps(const std::vector<int64_t>& timestamps) {
  protocol::RecordBatchBuilder builder({});
  std::vector<uint8_t> value{1, 2, 3};
  for (int64_t ts : timestamps) builder.append(ts, std::nullopt, std::span<const uint8_t>(value));
  return builder.build();
}

// Batches [first, end) back to back.
inline std::vector<uint8_t> concat(const std::vector<std::vector<uint8_t>>& batches, size_t first, size_t end) {
  std::vector<uint8_t> all;
  for (size_t i = first; i < end; ++i) all.insert(all.end(), batches[i].begin(), batches[i].end());
  return all;
}

// The headers of the whole batches in `bytes`, in order.
inline std::vector<protocol::RecordBatchHeader> headers_of(std::span<const uint8_t> bytes) {
  std::vector<protocol::RecordBatchHeader> headers;
  while (bytes.size() >= protocol::kRecordBatchHeaderSize) {
    auto header = *protocol::parse_batch_header(bytes);
    if (header.total_size() > bytes.size()) break;
    headers.push_back(header);
    bytes = bytes.subspan(header.total_size());
  }
  return headers;
}

inline std::vector<uint8_t> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline std::string read_text(const std::filesystem::path& path) {
  auto bytes = read_file(path);
  return {bytes.begin(), bytes.end()};
}

inline void append_to_file(const std::filesystem::path& path, std::span<const uint8_t> bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// A fixture for tests of one PartitionLog in a temporary partition directory.
class PartitionDirTest : public ::testing::Test {
 protected:
  std::filesystem::path dir() const { return tmp_.path() / "topic-0"; }
  std::unique_ptr<PartitionLog> open(const LogConfig& config, StartupState state = {}) const {
    return PartitionLog::open(dir(), config, kTopicId, state);
  }
  // How many files in the partition directory have names ending in `suffix`.
  size_t files_ending_with(std::string_view suffix) const {
    size_t count = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir()))
      if (entry.path().filename().string().ends_with(suffix)) ++count;
    return count;
  }

  TempDir tmp_;
};

}  // namespace freshet::storage::testing
