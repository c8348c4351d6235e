#include "protocol/wire.h"

#include <random>

namespace freshet::protocol {

namespace {

// Kafka strings carry at most an int16 length, in the classic and compact forms alike.
constexpr size_t kMaxStringBytes = 0x7fff;
constexpr size_t kMaxBytesLength = 0x7fffffff;

constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int base64_url_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

void check_string_length(size_t n) {
  if (n > kMaxStringBytes) throw std::length_error("string longer than 32767 bytes");
}

void check_bytes_length(size_t n) {
  if (n > kMaxBytesLength) throw std::length_error("byte field longer than 2^31-1 bytes");
}

}  // namespace

// ---- Uuid -------------------------------------------------------------------

std::string Uuid::to_base64() const {
  uint8_t raw[16];
  for (int i = 0; i < 8; ++i) {
    raw[i] = static_cast<uint8_t>(hi >> (56 - 8 * i));
    raw[8 + i] = static_cast<uint8_t>(lo >> (56 - 8 * i));
  }
  std::string out;
  out.reserve(22);
  for (size_t i = 0; i < 16; i += 3) {
    uint32_t chunk = static_cast<uint32_t>(raw[i]) << 16;
    if (i + 1 < 16) chunk |= static_cast<uint32_t>(raw[i + 1]) << 8;
    if (i + 2 < 16) chunk |= raw[i + 2];
    const size_t chars = (i + 2 < 16) ? 4 : (i + 1 < 16 ? 3 : 2);
    for (size_t c = 0; c < chars; ++c) out.push_back(kBase64Url[(chunk >> (18 - 6 * c)) & 0x3f]);
  }
  return out;
}

std::optional<Uuid> Uuid::from_base64(std::string_view text) {
  // Like Java's URL-safe decoder: 22 characters, optionally padded with "==".
  if (text.size() == 24 && text.substr(22) == "==") text = text.substr(0, 22);
  if (text.size() != 22) return std::nullopt;
  uint8_t raw[16];
  size_t out = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const int v = base64_url_value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (out < 16) raw[out++] = static_cast<uint8_t>(acc >> bits);
    }
  }
  Uuid u;
  for (int i = 0; i < 8; ++i) {
    u.hi = (u.hi << 8) | raw[i];
    u.lo = (u.lo << 8) | raw[8 + i];
  }
  return u;
}

Uuid Uuid::random() {
  thread_local std::mt19937_64 rng{std::random_device{}() ^ (static_cast<uint64_t>(std::random_device{}()) << 32)};
  return random(rng);
}

Uuid Uuid::random(std::mt19937_64& rng) {
  // Like Kafka: a version-4 UUID (its version bits rule out the reserved ids 0
  // and 1) whose text form does not start with '-' (it would read as a flag).
  for (;;) {
    Uuid u{rng(), rng()};
    u.hi = (u.hi & ~0xf000ULL) | 0x4000ULL;
    u.lo = (u.lo & ~(0xc0ULL << 56)) | (0x80ULL << 56);
    if (u.to_base64()[0] != '-') return u;
  }
}

// ---- Reader -----------------------------------------------------------------

double Reader::f64() {
  const uint64_t bits = be<uint64_t>();
  double v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

Uuid Reader::uuid() {
  Uuid u;
  u.hi = be<uint64_t>();
  u.lo = be<uint64_t>();
  return u;
}

uint32_t Reader::uvarint_multibyte() {
  uint32_t value = 0;
  for (int shift = 0; shift < 35; shift += 7) {
    const uint8_t b = u8();
    if (shift == 28 && (b & 0xf0) != 0) throw DecodeError("varint does not fit 32 bits");
    value |= static_cast<uint32_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return value;
  }
  throw DecodeError("varint longer than 5 bytes");
}

uint64_t Reader::uvarlong_multibyte() {
  uint64_t value = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    const uint8_t b = u8();
    if (shift == 63 && (b & 0xfe) != 0) throw DecodeError("varlong does not fit 64 bits");
    value |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return value;
  }
  throw DecodeError("varlong longer than 10 bytes");
}

std::string Reader::string() {
  auto s = nullable_string();
  if (!s) throw DecodeError("non-nullable string is null");
  return std::move(*s);
}

std::optional<std::string> Reader::nullable_string() {
  const int16_t n = i16();
  if (n == -1) return std::nullopt;
  if (n < 0) throw DecodeError("negative string length");
  auto bytes = raw(static_cast<size_t>(n));
  charge(bytes.size());
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

std::string Reader::compact_string() {
  auto s = compact_nullable_string();
  if (!s) throw DecodeError("non-nullable compact string is null");
  return std::move(*s);
}

std::optional<std::string> Reader::compact_nullable_string() {
  const uint32_t n = uvarint();
  if (n == 0) return std::nullopt;
  if (n - 1 > kMaxStringBytes) throw DecodeError("compact string longer than 32767 bytes");
  auto bytes = raw(n - 1);
  charge(bytes.size());
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

std::vector<uint8_t> Reader::bytes() {
  auto b = nullable_bytes();
  if (!b) throw DecodeError("non-nullable bytes are null");
  return std::move(*b);
}

std::optional<std::vector<uint8_t>> Reader::nullable_bytes() {
  const int32_t n = i32();
  if (n == -1) return std::nullopt;
  if (n < 0) throw DecodeError("negative bytes length");
  auto bytes = raw(static_cast<size_t>(n));
  charge(bytes.size());
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

std::vector<uint8_t> Reader::compact_bytes() {
  auto b = compact_nullable_bytes();
  if (!b) throw DecodeError("non-nullable compact bytes are null");
  return std::move(*b);
}

std::optional<std::vector<uint8_t>> Reader::compact_nullable_bytes() {
  const uint32_t n = uvarint();
  if (n == 0) return std::nullopt;
  auto bytes = raw(n - 1);
  charge(bytes.size());
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

std::optional<Records> Reader::nullable_records() {
  const int32_t n = i32();
  if (n == -1) return std::nullopt;
  if (n < 0) throw DecodeError("negative records length");
  return Records{raw(static_cast<size_t>(n)), owner_};
}

std::optional<Records> Reader::compact_nullable_records() {
  const uint32_t n = uvarint();
  if (n == 0) return std::nullopt;
  return Records{raw(n - 1), owner_};
}

std::optional<int32_t> Reader::array_length() {
  const int32_t n = i32();
  if (n == -1) return std::nullopt;
  if (n < 0) throw DecodeError("negative array length");
  if (static_cast<size_t>(n) > remaining()) throw DecodeError("array length exceeds the bytes left");
  return n;
}

std::optional<int32_t> Reader::compact_array_length() {
  const uint32_t n = uvarint();
  if (n == 0) return std::nullopt;
  if (n - 1 > remaining()) throw DecodeError("compact array length exceeds the bytes left");
  return static_cast<int32_t>(n - 1);
}

// ---- Writer -----------------------------------------------------------------

void Writer::f64(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  be(bits);
}

void Writer::uvarint(uint32_t v) { uvarlong(v); }

void Writer::varint(int32_t v) {
  uvarint((static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31));
}

void Writer::uvarlong(uint64_t v) {
  while (v >= 0x80) {
    buf_.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  buf_.push_back(static_cast<uint8_t>(v));
}

void Writer::varlong(int64_t v) {
  uvarlong((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
}

void Writer::string(std::string_view v) {
  check_string_length(v.size());
  i16(static_cast<int16_t>(v.size()));
  raw({reinterpret_cast<const uint8_t*>(v.data()), v.size()});
}

void Writer::nullable_string(const std::optional<std::string>& v) {
  if (v) {
    string(*v);
  } else {
    i16(-1);
  }
}

void Writer::compact_string(std::string_view v) {
  check_string_length(v.size());
  uvarint(static_cast<uint32_t>(v.size() + 1));
  raw({reinterpret_cast<const uint8_t*>(v.data()), v.size()});
}

void Writer::compact_nullable_string(const std::optional<std::string>& v) {
  if (v) {
    compact_string(*v);
  } else {
    uvarint(0);
  }
}

void Writer::bytes(std::span<const uint8_t> v) {
  check_bytes_length(v.size());
  i32(static_cast<int32_t>(v.size()));
  raw(v);
}

void Writer::nullable_bytes(const std::optional<std::vector<uint8_t>>& v) {
  if (v) {
    bytes(*v);
  } else {
    i32(-1);
  }
}

void Writer::compact_bytes(std::span<const uint8_t> v) {
  check_bytes_length(v.size());
  uvarint(static_cast<uint32_t>(v.size() + 1));
  raw(v);
}

void Writer::compact_nullable_bytes(const std::optional<std::vector<uint8_t>>& v) {
  if (v) {
    compact_bytes(*v);
  } else {
    uvarint(0);
  }
}

void Writer::records_body(const Records& records) {
  if (records.file || (records.owner && records.bytes.size() >= kExternalRecordsMinBytes))
    externals_.emplace_back(buf_.size(), records);
  else
    raw(records.bytes);
}

void Writer::nullable_records(const std::optional<Records>& v) {
  if (!v) return i32(-1);
  check_bytes_length(v->size());
  i32(static_cast<int32_t>(v->size()));
  records_body(*v);
}

void Writer::compact_nullable_records(const std::optional<Records>& v) {
  if (!v) return uvarint(0);
  check_bytes_length(v->size());
  uvarint(static_cast<uint32_t>(v->size() + 1));
  records_body(*v);
}

std::vector<uint8_t> Writer::take() {
  if (externals_.empty()) return std::move(buf_);
  EncodedMessage message = take_message();
  std::vector<uint8_t> out;
  out.reserve(message.size());
  size_t copied = 0;
  for (const auto& [position, records] : message.externals) {
    if (records.file) throw std::logic_error("Writer::take: a file slice can only be sent, not copied");
    out.insert(out.end(), message.bytes.begin() + copied, message.bytes.begin() + position);
    out.insert(out.end(), records.bytes.begin(), records.bytes.end());
    copied = position;
  }
  out.insert(out.end(), message.bytes.begin() + copied, message.bytes.end());
  return out;
}

size_t uvarint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

}  // namespace freshet::protocol
