#include "protocol/record_scanner.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace freshet::protocol {
namespace {

// Decompressed bytes asked of the stream at a time.
constexpr size_t kChunkBytes = 64 * 1024;
// A record's length varint takes at most this many bytes.
constexpr size_t kMaxLengthPrefixBytes = 5;

}  // namespace

RecordScanner::RecordScanner(std::span<const uint8_t> batch, const RecordBatchHeader& header,
                             const RecordScanLimits& limits)
    : limits_(limits) {
  const std::span<const uint8_t> payload =
      batch.subspan(kRecordBatchHeaderSize, header.total_size() - kRecordBatchHeaderSize);
  if (header.compression() == Compression::None) {
    if (payload.size() > limits.max_uncompressed_bytes) {
      throw DecodeError("records exceed the limit of " + std::to_string(limits.max_uncompressed_bytes) + " bytes");
    }
    window_ = payload;
    return;
  }
  stream_.emplace(header.compression(), payload, limits.max_uncompressed_bytes);
  buffer_.resize(kChunkBytes);
  window_ = std::span<const uint8_t>(buffer_).first(0);
}

size_t RecordScanner::fill(size_t n) {
  size_t available = window_.size() - pos_;
  if (available >= n || !stream_) return available;
  // Keep only the unscanned tail, at the front, with room for `n` bytes and
  // a chunk more to read into.
  std::memmove(buffer_.data(), buffer_.data() + pos_, available);
  pos_ = 0;
  if (buffer_.size() < n) buffer_.resize(n + kChunkBytes);
  while (available < n) {
    const size_t got = stream_->read(std::span<uint8_t>(buffer_).subspan(available));
    if (got == 0) break;
    available += got;
  }
  window_ = std::span<const uint8_t>(buffer_).first(available);
  return available;
}

void RecordScanner::buffer_next_record() {
  const size_t prefix_available = fill(kMaxLengthPrefixBytes);
  const std::optional<size_t> size = record_size(window_.subspan(pos_, prefix_available));
  if (!size) throw DecodeError("records end inside a record's length");
  check_record_size(*size);
  fill(*size);  // if the records end first, scan_record() reports it
}

void RecordScanner::check_record_size(size_t size_bytes) const {
  if (size_bytes > limits_.max_record_bytes) {
    throw DecodeError("record of " + std::to_string(size_bytes) + " bytes exceeds the limit of " +
                      std::to_string(limits_.max_record_bytes) + " bytes");
  }
}

std::optional<RecordView> RecordScanner::next() {
  if (at_end()) return std::nullopt;
  if (stream_) buffer_next_record();
  const RecordView view = scan_record(window_.subspan(pos_));
  check_record_size(view.size_bytes);
  pos_ += view.size_bytes;
  return view;
}

bool RecordScanner::at_end() { return fill(1) == 0; }

}  // namespace freshet::protocol
