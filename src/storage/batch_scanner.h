// Walks the batches of a segment's .log file in order, reading through a buffer
// (one pread per buffer fill, not per batch).
//
// next() stops at the end of the range or at the first header that cannot be a
// stored batch: fewer bytes left than the header or the batch claims, magic
// other than 2, a length below the header size, or a negative last_offset_delta.
// position() then tells where the valid batches end. The CRC is not checked
// here; callers that need it call batch_crc_valid(current_bytes()).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "protocol/record_batch.h"
#include "storage/file_handle.h"

namespace freshet::storage {

struct BatchLocation {
  uint64_t position;  // byte position of the batch in its segment's .log
  protocol::RecordBatchHeader header;
};

class BatchScanner {
 public:
  BatchScanner(const FileHandle& log, uint64_t start_position, uint64_t end_position, size_t buffer_bytes);

  // The next batch, or nullopt at the end of the range or at a malformed header
  // (bad magic or length, or an offset range outside [0, INT64_MAX]).
  std::optional<BatchLocation> next();
  // The whole bytes of the batch last returned by next() (valid until the next call).
  std::span<const uint8_t> current_bytes();
  // Where the batches returned so far end.
  uint64_t position() const { return position_; }
  // True when next() stopped before end_position (a torn or malformed tail).
  bool stopped_early() const { return position_ < end_; }

 private:
  // Makes buffer_ hold [position, position + bytes) when the file has them.
  bool load(uint64_t position, size_t bytes);

  const FileHandle& log_;
  uint64_t position_;
  uint64_t end_;
  size_t buffer_bytes_;
  std::vector<uint8_t> buffer_;
  uint64_t buffer_start_ = 0;  // file position of buffer_[0]
  size_t buffer_filled_ = 0;
  std::optional<BatchLocation> current_;
};

}  // namespace freshet::storage
