// Walks the records of one RecordBatch v2 one at a time without decoding the
// batch as a whole: in place when the batch is uncompressed; through a
// DecompressStream when it is compressed, holding no more than one record
// and one chunk of decompressed bytes, so that a decompression bomb costs
// neither memory nor, thanks to the limits, much time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "protocol/decompress_stream.h"
#include "protocol/record.h"
#include "protocol/record_batch.h"

namespace freshet::protocol {

struct RecordScanLimits {
  size_t max_uncompressed_bytes = SIZE_MAX;  // all records of the batch, decompressed
  size_t max_record_bytes = SIZE_MAX;        // one record, length varint included
};

class RecordScanner {
 public:
  // `batch` is a whole batch (as split_batches() returns them) with the
  // given header; it must outlive the scanner. Throws DecodeError for a
  // codec id that is not a codec.
  RecordScanner(std::span<const uint8_t> batch, const RecordBatchHeader& header, const RecordScanLimits& limits);

  // The next record, or nullopt when the records' bytes are used up. The
  // view is valid until the next call. Throws DecodeError for a malformed
  // record (see scan_record()), corrupt compressed data, records that end
  // inside a record, and records past either limit.
  std::optional<RecordView> next();

  // True when no record bytes are left (for compressed batches this reads
  // ahead, at most one chunk).
  bool at_end();

 private:
  // Makes at least `n` bytes available from `pos_` unless the records end
  // first; returns how many are available.
  size_t fill(size_t n);
  // Compressed batches: makes the whole next record available, refusing one
  // above max_record_bytes as soon as its length is read.
  void buffer_next_record();
  void check_record_size(size_t size_bytes) const;

  std::optional<DecompressStream> stream_;  // nullopt: uncompressed, read in place
  RecordScanLimits limits_;
  std::span<const uint8_t> window_;  // the records (in place) or buffer_'s filled part
  size_t pos_ = 0;                   // next record's start in window_
  std::vector<uint8_t> buffer_;      // compressed batches: decompressed bytes not yet scanned
};

}  // namespace freshet::protocol
