// Field encodings shared by the generated message codecs (protocol/messages/*).
//
// Each helper takes `compact`: true in a message's flexible versions (uvarint
// lengths + 1), false for the classic int16/int32 lengths. Helpers taking
// `nullable` accept or produce null only when the field is nullable in the
// version at hand: decoding a null where it is not allowed throws DecodeError;
// encoding an absent value where null is not allowed writes an empty value.
#pragma once

#include "protocol/wire.h"

namespace freshet::protocol::codec {

std::string read_string(Reader& r, bool compact);
std::optional<std::string> read_nullable_string(Reader& r, bool compact, bool nullable);
void write_string(Writer& w, std::string_view v, bool compact);
void write_nullable_string(Writer& w, const std::optional<std::string>& v, bool compact, bool nullable);
// Error message fields: text beyond kMaxMessageBytes is cut at a UTF-8
// character boundary and marked, so that a message echoing a client's string
// (a 32 767-byte topic name, say) always encodes, and stays readable.
constexpr size_t kMaxMessageBytes = 1024;
void write_message(Writer& w, std::string_view v, bool compact);
void write_nullable_message(Writer& w, const std::optional<std::string>& v, bool compact, bool nullable);

std::vector<uint8_t> read_bytes(Reader& r, bool compact);
std::optional<std::vector<uint8_t>> read_nullable_bytes(Reader& r, bool compact, bool nullable);
void write_bytes(Writer& w, std::span<const uint8_t> v, bool compact);
void write_nullable_bytes(Writer& w, const std::optional<std::vector<uint8_t>>& v, bool compact,
                          bool nullable);

std::optional<Records> read_nullable_records(Reader& r, bool compact, bool nullable);
void write_nullable_records(Writer& w, const std::optional<Records>& v, bool compact, bool nullable);

// Array element counts. The count is checked against the bytes left, assuming
// each element takes at least `min_element_bytes`, so a hostile count can never
// make the decoder loop beyond the input's size, and `count *
// element_size_bytes` is charged to the reader's DecodeBudget.
int32_t read_array_length(Reader& r, bool compact, size_t min_element_bytes, size_t element_size_bytes);
std::optional<int32_t> read_nullable_array_length(Reader& r, bool compact, bool nullable,
                                                  size_t min_element_bytes, size_t element_size_bytes);
void write_array_length(Writer& w, size_t n, bool compact);
void write_null_array(Writer& w, bool compact, bool nullable);

// Reads a whole tagged-field section (count, then tag/size/value triples) and ignores it.
void skip_tagged_fields(Reader& r);
// Writes one tagged field: its tag, the size of `value`, then value's bytes.
void write_tagged_field(Writer& w, uint32_t tag, Writer& value);

}  // namespace freshet::protocol::codec
