// Builds a complete, valid RecordBatch v2 from records: header, records
// compressed with the chosen codec, batch_length and CRC.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "protocol/compression.h"
#include "protocol/record.h"
#include "protocol/record_batch.h"
#include "protocol/wire.h"

namespace freshet::protocol {

struct RecordBatchOptions {
  Compression compression = Compression::None;
  int64_t base_offset = 0;
  int32_t partition_leader_epoch = kNoPartitionLeaderEpoch;
  // Idempotent / transactional producers; -1 when not used.
  int64_t producer_id = kNoProducerId;
  int16_t producer_epoch = kNoProducerEpoch;
  int32_t base_sequence = kNoSequence;
  bool transactional = false;
  bool control = false;
  // Record timestamps are then the broker's append time (callers pass it).
  bool log_append_time = false;
  // Compaction: base_timestamp becomes this horizon (and the records'
  // timestamp deltas are taken from it), with the delete-horizon bit set.
  std::optional<int64_t> delete_horizon_ms;
  // Compaction keeps a batch's original last offset even when its last
  // records were removed; by default it is the last appended record's.
  std::optional<int32_t> last_offset_delta;
};

class RecordBatchBuilder {
 public:
  explicit RecordBatchBuilder(const RecordBatchOptions& options);

  // Appends a record at the next offset (one past the last appended, 0 for
  // the first) with an absolute timestamp.
  void append(int64_t timestamp_ms, BytesView key, BytesView value, std::span<const RecordHeader> headers = {});

  // Appends a record at base_offset + offset_delta; offset deltas must
  // increase (compaction leaves gaps).
  void append_at(int32_t offset_delta, int64_t timestamp_ms, BytesView key, BytesView value,
                 std::span<const RecordHeader> headers = {});

  int32_t record_count() const { return record_count_; }
  // Bytes of the records before compression.
  size_t uncompressed_records_bytes() const { return records_.size(); }

  // The whole batch. The builder can keep appending afterwards.
  std::vector<uint8_t> build();

 private:
  RecordBatchOptions options_;
  Writer records_;  // uncompressed record encodings
  int32_t record_count_ = 0;
  std::optional<int32_t> last_offset_delta_;
  std::optional<int64_t> base_timestamp_;
  int64_t max_timestamp_ = kNoTimestamp;
};

}  // namespace freshet::protocol
