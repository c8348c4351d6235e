#include "protocol/record.h"

#include <cstdint>
#include <stdexcept>
#include <string>

namespace freshet::protocol {
namespace {

size_t varlong_size(int64_t v) {
  return uvarint_size((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
}

size_t nullable_bytes_size(const BytesView& bytes) {
  if (!bytes) return varlong_size(-1);
  return varlong_size(static_cast<int64_t>(bytes->size())) + bytes->size();
}

int32_t length_of(size_t size) {
  if (size > static_cast<size_t>(INT32_MAX)) throw std::length_error("record field larger than 2 GiB");
  return static_cast<int32_t>(size);
}

void write_nullable_bytes(Writer& out, const BytesView& bytes) {
  if (!bytes) {
    out.varint(-1);
    return;
  }
  out.varint(length_of(bytes->size()));
  out.raw(*bytes);
}

// A varint length that is -1 (null) or fits in what is left of `in`.
std::optional<std::vector<uint8_t>> read_nullable_bytes(Reader& in, const char* what) {
  const int32_t length = in.varint();
  if (length == -1) return std::nullopt;
  if (length < 0) throw DecodeError(std::string("record ") + what + " has invalid length " + std::to_string(length));
  std::span<const uint8_t> bytes = in.raw(static_cast<size_t>(length));
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

}  // namespace

void write_record(Writer& out, int64_t timestamp_delta, int32_t offset_delta, BytesView key, BytesView value,
                  std::span<const RecordHeader> headers) {
  size_t body_size = 1 + varlong_size(timestamp_delta) + varlong_size(offset_delta) + nullable_bytes_size(key) +
                     nullable_bytes_size(value) + varlong_size(static_cast<int64_t>(headers.size()));
  for (const RecordHeader& h : headers) {
    body_size += varlong_size(static_cast<int64_t>(h.key.size())) + h.key.size() + nullable_bytes_size(view_of(h.value));
  }
  out.varint(length_of(body_size));
  const size_t body_start = out.size();
  out.i8(0);  // attributes: none defined
  out.varlong(timestamp_delta);
  out.varint(offset_delta);
  write_nullable_bytes(out, key);
  write_nullable_bytes(out, value);
  out.varint(length_of(headers.size()));
  for (const RecordHeader& h : headers) {
    out.varint(length_of(h.key.size()));
    out.raw(std::span(reinterpret_cast<const uint8_t*>(h.key.data()), h.key.size()));
    write_nullable_bytes(out, view_of(h.value));
  }
  if (out.size() - body_start != body_size) throw std::logic_error("record size miscomputed");
}

Record read_record(Reader& in) {
  const int32_t length = in.varint();
  if (length < 0) throw DecodeError("record has invalid length " + std::to_string(length));
  if (static_cast<size_t>(length) > in.remaining()) {
    throw DecodeError("record length " + std::to_string(length) + " exceeds the " + std::to_string(in.remaining()) +
                      " bytes left in the batch");
  }
  Reader body(in.raw(static_cast<size_t>(length)));
  Record r;
  r.attributes = body.i8();
  r.timestamp_delta = body.varlong();
  r.offset_delta = body.varint();
  r.key = read_nullable_bytes(body, "key");
  r.value = read_nullable_bytes(body, "value");
  const int32_t header_count = body.varint();
  // Each header takes at least two bytes, which bounds the reservation.
  if (header_count < 0 || static_cast<size_t>(header_count) > body.remaining()) {
    throw DecodeError("record has invalid header count " + std::to_string(header_count));
  }
  r.headers.reserve(static_cast<size_t>(header_count));
  for (int32_t i = 0; i < header_count; ++i) {
    const int32_t key_length = body.varint();
    if (key_length < 0) throw DecodeError("record header has invalid key length " + std::to_string(key_length));
    std::span<const uint8_t> key = body.raw(static_cast<size_t>(key_length));
    r.headers.push_back({std::string(key.begin(), key.end()), read_nullable_bytes(body, "header value")});
  }
  if (body.remaining() != 0) {
    throw DecodeError("record length " + std::to_string(length) + " exceeds its fields by " +
                      std::to_string(body.remaining()) + " bytes");
  }
  return r;
}

}  // namespace freshet::protocol
