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

// One record read in place: key, value and headers are views into the
// bytes it was scanned from, valid as long as they are. The header fields
// have been checked (lengths, non-null keys) but not decoded.
struct RecordView {
  size_t size_bytes = 0;  // length varint included
  int8_t attributes = 0;
  int64_t timestamp_delta = 0;
  int32_t offset_delta = 0;
  BytesView key;
  BytesView value;
  int32_t header_count = 0;
  std::span<const uint8_t> headers;  // header_count encoded headers
};

// The size (length varint included) of the record starting at `bytes`, or
// nullopt when `bytes` ends inside its length varint. Throws DecodeError
// for a malformed or negative length. Lets a reader of a stream know how
// much to buffer before scan_record().
std::optional<size_t> record_size(std::span<const uint8_t> bytes);

// Reads the record at the start of `bytes`. Throws DecodeError when it is
// malformed: a negative length or one past the end of `bytes`, a varint
// that does not fit, a key, value or header length below -1 or past the
// record's end, a negative header count, a null header key, or fields that
// end before the record's length does.
RecordView scan_record(std::span<const uint8_t> bytes);

// Reads one record, checked as scan_record() does, into owned fields.
Record read_record(Reader& in);
// The headers of a scanned record, decoded and owned.
std::vector<RecordHeader> decode_headers(const RecordView& view);

// A view of an owned nullable byte string.
inline BytesView view_of(const std::optional<std::vector<uint8_t>>& bytes) {
  return bytes ? BytesView(std::span<const uint8_t>(*bytes)) : std::nullopt;
}

}  // namespace freshet::protocol
