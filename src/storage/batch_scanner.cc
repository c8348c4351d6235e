#include "storage/batch_scanner.h"

#include <algorithm>
#include <cstdint>

namespace freshet::storage {

using protocol::kRecordBatchHeaderSize;

BatchScanner::BatchScanner(const FileHandle& log, uint64_t start_position, uint64_t end_position,
                           size_t buffer_bytes)
    : log_(log), position_(start_position), end_(end_position), buffer_bytes_(std::max(buffer_bytes, kRecordBatchHeaderSize)) {}

bool BatchScanner::load(uint64_t position, size_t bytes) {
  if (position + bytes > end_) return false;
  if (position >= buffer_start_ && position + bytes <= buffer_start_ + buffer_filled_) return true;
  size_t want = static_cast<size_t>(std::min<uint64_t>(std::max(bytes, buffer_bytes_), end_ - position));
  if (buffer_.size() < want) buffer_.resize(want);
  buffer_start_ = position;
  buffer_filled_ = log_.read_at({buffer_.data(), want}, position);
  return buffer_filled_ >= bytes;
}

std::optional<BatchLocation> BatchScanner::next() {
  current_.reset();
  if (!load(position_, kRecordBatchHeaderSize)) return std::nullopt;
  auto header = protocol::parse_batch_header({buffer_.data() + (position_ - buffer_start_), kRecordBatchHeaderSize});
  if (!header || header->magic != protocol::kRecordBatchMagic || header->total_size() < kRecordBatchHeaderSize ||
      header->batch_length < 0 || header->last_offset_delta < 0 || header->total_size() > end_ - position_ ||
      header->base_offset < 0 || header->base_offset > INT64_MAX - header->last_offset_delta)
    return std::nullopt;
  current_ = BatchLocation{position_, *header};
  position_ += header->total_size();
  return current_;
}

std::span<const uint8_t> BatchScanner::current_bytes() {
  size_t size = current_->header.total_size();
  if (!load(current_->position, size)) return {};
  return {buffer_.data() + (current_->position - buffer_start_), size};
}

}  // namespace freshet::storage
