#include "protocol/record.h"

#include <algorithm>
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
BytesView read_nullable_view(Reader& in, const char* what) {
  const int32_t length = in.varint();
  if (length == -1) return std::nullopt;
  if (length < 0) throw DecodeError(std::string("record ") + what + " has invalid length " + std::to_string(length));
  if (static_cast<size_t>(length) > in.remaining()) {
    throw DecodeError(std::string("record ") + what + " length " + std::to_string(length) + " exceeds the " +
                      std::to_string(in.remaining()) + " bytes left in the record");
  }
  return in.raw(static_cast<size_t>(length));
}

struct HeaderView {
  std::span<const uint8_t> key;
  BytesView value;
};

HeaderView read_header(Reader& in) {
  const BytesView key = read_nullable_view(in, "header key");
  if (!key) throw DecodeError("record header has a null key");
  return {*key, read_nullable_view(in, "header value")};
}

std::optional<std::vector<uint8_t>> owned(const BytesView& bytes) {
  if (!bytes) return std::nullopt;
  return std::vector<uint8_t>(bytes->begin(), bytes->end());
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

std::optional<size_t> record_size(std::span<const uint8_t> bytes) {
  // A varint is complete at its first byte without the continuation bit.
  const size_t available = std::min(bytes.size(), size_t{5});
  size_t prefix = 0;
  while (prefix < available && (bytes[prefix] & 0x80) != 0) ++prefix;
  if (prefix == available && available < 5) return std::nullopt;
  Reader in(bytes.first(available));
  const int32_t length = in.varint();
  if (length < 0) throw DecodeError("record has invalid length " + std::to_string(length));
  return in.position() + static_cast<size_t>(length);
}

RecordView scan_record(std::span<const uint8_t> bytes) {
  Reader in(bytes);
  const int32_t length = in.varint();
  if (length < 0) throw DecodeError("record has invalid length " + std::to_string(length));
  if (static_cast<size_t>(length) > in.remaining()) {
    throw DecodeError("record length " + std::to_string(length) + " exceeds the " + std::to_string(in.remaining()) +
                      " bytes left in the batch");
  }
  RecordView r;
  r.size_bytes = in.position() + static_cast<size_t>(length);
  Reader body(in.raw(static_cast<size_t>(length)));
  r.attributes = body.i8();
  r.timestamp_delta = body.varlong();
  r.offset_delta = body.varint();
  r.key = read_nullable_view(body, "key");
  r.value = read_nullable_view(body, "value");
  r.header_count = body.varint();
  // Each header takes at least two bytes, which bounds the loop.
  if (r.header_count < 0 || static_cast<size_t>(r.header_count) > body.remaining()) {
    throw DecodeError("record has invalid header count " + std::to_string(r.header_count));
  }
  const size_t headers_start = body.position();
  for (int32_t i = 0; i < r.header_count; ++i) read_header(body);
  r.headers = bytes.subspan(r.size_bytes - static_cast<size_t>(length) + headers_start, body.position() - headers_start);
  if (body.remaining() != 0) {
    throw DecodeError("record length " + std::to_string(length) + " exceeds its fields by " +
                      std::to_string(body.remaining()) + " bytes");
  }
  return r;
}

Record read_record(Reader& in) {
  const RecordView view = scan_record(in.rest());
  in.skip(view.size_bytes);
  Record r;
  r.attributes = view.attributes;
  r.timestamp_delta = view.timestamp_delta;
  r.offset_delta = view.offset_delta;
  r.key = owned(view.key);
  r.value = owned(view.value);
  r.headers = decode_headers(view);
  return r;
}

std::vector<RecordHeader> decode_headers(const RecordView& view) {
  std::vector<RecordHeader> out;
  out.reserve(static_cast<size_t>(view.header_count));
  Reader headers(view.headers);
  for (int32_t i = 0; i < view.header_count; ++i) {
    const HeaderView h = read_header(headers);
    out.push_back({std::string(h.key.begin(), h.key.end()), owned(h.value)});
  }
  return out;
}

}  // namespace freshet::protocol
