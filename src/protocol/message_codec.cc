#include "protocol/message_codec.h"

#include "protocol/client_text.h"

namespace freshet::protocol::codec {

std::string read_string(Reader& r, bool compact) { return compact ? r.compact_string() : r.string(); }

std::optional<std::string> read_nullable_string(Reader& r, bool compact, bool nullable) {
  if (!nullable) return read_string(r, compact);
  return compact ? r.compact_nullable_string() : r.nullable_string();
}

void write_string(Writer& w, std::string_view v, bool compact) {
  if (compact) {
    w.compact_string(v);
  } else {
    w.string(v);
  }
}

void write_nullable_string(Writer& w, const std::optional<std::string>& v, bool compact, bool nullable) {
  if (!nullable || v) {
    write_string(w, v ? std::string_view(*v) : std::string_view(), compact);
  } else if (compact) {
    w.uvarint(0);
  } else {
    w.i16(-1);
  }
}

void write_message(Writer& w, std::string_view v, bool compact) {
  if (v.size() <= kMaxMessageBytes) return write_string(w, v, compact);
  write_string(w, cut_text(v, kMaxMessageBytes), compact);
}

void write_nullable_message(Writer& w, const std::optional<std::string>& v, bool compact, bool nullable) {
  if (v && v->size() > kMaxMessageBytes) return write_message(w, *v, compact);
  write_nullable_string(w, v, compact, nullable);
}

std::vector<uint8_t> read_bytes(Reader& r, bool compact) { return compact ? r.compact_bytes() : r.bytes(); }

std::optional<std::vector<uint8_t>> read_nullable_bytes(Reader& r, bool compact, bool nullable) {
  if (!nullable) return read_bytes(r, compact);
  return compact ? r.compact_nullable_bytes() : r.nullable_bytes();
}

void write_bytes(Writer& w, std::span<const uint8_t> v, bool compact) {
  if (compact) {
    w.compact_bytes(v);
  } else {
    w.bytes(v);
  }
}

void write_nullable_bytes(Writer& w, const std::optional<std::vector<uint8_t>>& v, bool compact,
                          bool nullable) {
  if (!nullable || v) {
    write_bytes(w, v ? std::span<const uint8_t>(*v) : std::span<const uint8_t>(), compact);
  } else if (compact) {
    w.uvarint(0);
  } else {
    w.i32(-1);
  }
}

std::optional<Records> read_nullable_records(Reader& r, bool compact, bool nullable) {
  auto records = compact ? r.compact_nullable_records() : r.nullable_records();
  if (!records && !nullable) throw DecodeError("non-nullable records field is null");
  return records;
}

void write_nullable_records(Writer& w, const std::optional<Records>& v, bool compact, bool nullable) {
  // Through the Writer's records path: a large record set is referenced, not copied.
  std::optional<Records> empty_if_null = v || nullable ? std::nullopt : std::optional<Records>(Records{});
  const std::optional<Records>& written = empty_if_null ? empty_if_null : v;
  if (compact)
    w.compact_nullable_records(written);
  else
    w.nullable_records(written);
}

std::optional<int32_t> read_nullable_array_length(Reader& r, bool compact, bool nullable,
                                                  size_t min_element_bytes, size_t element_size_bytes) {
  auto n = compact ? r.compact_array_length() : r.array_length();
  if (!n) {
    if (!nullable) throw DecodeError("non-nullable array is null");
    return n;
  }
  if (static_cast<size_t>(*n) * min_element_bytes > r.remaining()) {
    throw DecodeError("array length exceeds the bytes left");
  }
  r.charge(static_cast<size_t>(*n) * element_size_bytes);
  return n;
}

int32_t read_array_length(Reader& r, bool compact, size_t min_element_bytes, size_t element_size_bytes) {
  return *read_nullable_array_length(r, compact, false, min_element_bytes, element_size_bytes);
}

void write_array_length(Writer& w, size_t n, bool compact) {
  if (compact) {
    w.compact_array_length(static_cast<int32_t>(n));
  } else {
    w.array_length(static_cast<int32_t>(n));
  }
}

void write_null_array(Writer& w, bool compact, bool nullable) {
  if (nullable) {
    compact ? w.compact_array_length(std::nullopt) : w.array_length(std::nullopt);
  } else {
    write_array_length(w, 0, compact);
  }
}

void skip_tagged_fields(Reader& r) {
  for (uint32_t n = r.uvarint(); n > 0; --n) {
    r.uvarint();  // tag
    r.skip(r.uvarint());
  }
}

void write_tagged_field(Writer& w, uint32_t tag, Writer& value) {
  w.uvarint(tag);
  w.uvarint(static_cast<uint32_t>(value.size()));
  w.raw(value.buffer());
}

}  // namespace freshet::protocol::codec
