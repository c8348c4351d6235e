// One record inside a RecordBatch v2 (uncompressed form):
//   length: varint (bytes that follow)
//   attributes: int8 (unused, 0)
//   timestamp_delta: varlong (from the batch's base_timestamp)
//   offset_delta: varint (from the batch's base_offset)
//   key_length: varint (-1 = null), key
//   value_length: varint (-1 = null), value
//   headers_count: varint, then per header:
//     key_length: varint, key (UTF-8), value_length: varint (-1 = null), value
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "protocol/wire.h"

namespace freshet::protocol {

// A nullable byte string viewed, not owned: what record writers take.
using BytesView = std::optional<std::span<const uint8_t>>;

struct RecordHeader {
  std::string key;
  std::optional<std::vector<uint8_t>> value;
  friend bool operator==(const RecordHeader&, const RecordHeader&) = default;
};

struct Record {
  int8_t attributes = 0;
  int64_t timestamp_delta = 0;
  int32_t offset_delta = 0;
  std::optional<std::vector<uint8_t>> key;
  std::optional<std::vector<uint8_t>> value;
  std::vector<RecordHeader> headers;
  friend bool operator==(const Record&, const Record&) = default;
};

// Appends one record's encoding (length prefix included) to `out`.
void write_record(Writer& out, int64_t timestamp_delta, int32_t offset_delta, BytesView key, BytesView value,
                  std::span<const RecordHeader> headers);

// Reads one record. Throws DecodeError when the record is malformed: a
// negative or overlong length, a length other than what its fields use,
// a negative header count or header key length.
Record read_record(Reader& in);

// A view of an owned nullable byte string.
inline BytesView view_of(const std::optional<std::vector<uint8_t>>& bytes) {
  return bytes ? BytesView(std::span<const uint8_t>(*bytes)) : std::nullopt;
}

}  // namespace freshet::protocol
