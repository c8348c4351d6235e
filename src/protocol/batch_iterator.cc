#include "protocol/batch_iterator.h"

#include <string>

#include "protocol/record_batch.h"

namespace freshet::protocol {
namespace {

constexpr size_t kMagicOffset = 16;

}  // namespace

std::optional<std::span<const uint8_t>> BatchIterator::next() {
  const std::span<const uint8_t> rest = record_set_.subspan(position_);
  // The magic decides how to read the rest, so it is checked first: a legacy
  // (v0/v1) message set gets a clear error rather than a length complaint.
  if (rest.size() <= kMagicOffset) return std::nullopt;
  const int8_t magic = static_cast<int8_t>(rest[kMagicOffset]);
  if (magic == 0 || magic == 1) {
    throw BatchFormatError(BatchFormatError::Kind::kUnsupportedMagic,
                           "message format v" + std::to_string(magic) + " is not supported (only v2 record batches)");
  }
  if (magic != kRecordBatchMagic) {
    throw BatchFormatError(BatchFormatError::Kind::kUnsupportedMagic,
                           "invalid record batch magic " + std::to_string(magic));
  }
  const int32_t batch_length = Reader(rest.subspan(8, 4)).i32();
  if (batch_length < static_cast<int32_t>(kRecordBatchHeaderSize - kBatchLogOverhead)) {
    throw BatchFormatError(BatchFormatError::Kind::kBadLength,
                           "record batch length " + std::to_string(batch_length) + " is smaller than its header");
  }
  const size_t total = kBatchLogOverhead + static_cast<size_t>(batch_length);
  if (total > max_batch_bytes_) {
    throw BatchFormatError(BatchFormatError::Kind::kBadLength, "record batch of " + std::to_string(total) +
                                                                   " bytes exceeds the limit of " +
                                                                   std::to_string(max_batch_bytes_));
  }
  if (total > rest.size()) return std::nullopt;
  position_ += total;
  return rest.first(total);
}

std::vector<std::span<const uint8_t>> split_batches(std::span<const uint8_t> record_set, size_t max_batch_bytes) {
  BatchIterator it(record_set, max_batch_bytes);
  std::vector<std::span<const uint8_t>> batches;
  while (auto batch = it.next()) batches.push_back(*batch);
  if (it.partial_tail_bytes() != 0) {
    throw BatchFormatError(BatchFormatError::Kind::kTruncated,
                           "record set ends with a partial batch of " + std::to_string(it.partial_tail_bytes()) +
                               " bytes");
  }
  return batches;
}

}  // namespace freshet::protocol
