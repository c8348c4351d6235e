// Walks a record set - the concatenated batches of a Produce request's
// `records` field, a Fetch response or a log segment - one batch at a time,
// checking only the framing (length and magic); CRCs and records are the
// caller's to check.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "protocol/wire.h"

namespace freshet::protocol {

// The framing of a record set is wrong. kind() lets a handler pick the Kafka
// error: kUnsupportedMagic -> UNSUPPORTED_FOR_MESSAGE_FORMAT or
// INVALID_RECORD, the others -> CORRUPT_MESSAGE.
class BatchFormatError : public DecodeError {
 public:
  enum class Kind {
    kUnsupportedMagic,  // magic 0 or 1 (legacy message sets), or unknown
    kBadLength,         // batch_length below the v2 header or above the limit
    kTruncated,         // the record set ends inside a batch
  };
  BatchFormatError(Kind kind, const std::string& what) : DecodeError(what), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

class BatchIterator {
 public:
  // `max_batch_bytes` bounds one batch's total size (e.g. the broker's
  // message.max.bytes plus the 12-byte log overhead).
  explicit BatchIterator(std::span<const uint8_t> record_set, size_t max_batch_bytes = SIZE_MAX)
      : record_set_(record_set), max_batch_bytes_(max_batch_bytes) {}

  // The next whole batch (its bytes, exactly total_size() long), or nullopt
  // when no whole batch is left. Throws BatchFormatError for a batch whose
  // magic is not 2 or whose length is impossible. A Fetch response may end
  // with a partial batch: next() then returns nullopt and partial_tail_bytes()
  // is non-zero.
  std::optional<std::span<const uint8_t>> next();

  // Bytes of whole batches returned so far.
  size_t position() const { return position_; }
  // Bytes left after the last whole batch (meaningful once next() returned
  // nullopt).
  size_t partial_tail_bytes() const { return record_set_.size() - position_; }

 private:
  std::span<const uint8_t> record_set_;
  size_t max_batch_bytes_;
  size_t position_ = 0;
};

// The batches of a record set that must end on a batch boundary (what a
// producer sends); a partial tail throws BatchFormatError(kTruncated).
std::vector<std::span<const uint8_t>> split_batches(std::span<const uint8_t> record_set,
                                                    size_t max_batch_bytes = SIZE_MAX);

}  // namespace freshet::protocol
