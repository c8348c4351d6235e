// Primitive Kafka wire encoding: big-endian integers, (unsigned) varints,
// classic and compact strings/bytes/arrays, UUIDs and tagged-field helpers.
//
// Reader never reads past its span: every short or malformed input throws
// DecodeError, which callers turn into a closed connection or an error code.
// Writer appends to a growable buffer it owns.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace freshet::protocol {

class DecodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A 128-bit UUID as Kafka sends it: most significant 64 bits first.
struct Uuid {
  uint64_t hi = 0;
  uint64_t lo = 0;
  bool is_zero() const { return hi == 0 && lo == 0; }
  friend bool operator==(const Uuid&, const Uuid&) = default;
  // Kafka's textual form: URL-safe base64 without padding (22 chars).
  std::string to_base64() const;
  static std::optional<Uuid> from_base64(std::string_view text);
  static Uuid random();
  // The same, drawn from `rng` (deterministic for a seeded one).
  static Uuid random(std::mt19937_64& rng);
};

// A stretch of an open file (a log segment) that a record set can stand for
// instead of bytes in memory, so that a Fetch response is sent from the page
// cache (sendfile) without being read. The descriptor stays open while the
// Records' `owner` lives.
struct FileSlice {
  int fd = -1;
  uint64_t position = 0;
  size_t size_bytes = 0;
};

// A record set as carried by Produce requests and Fetch responses: a view of
// bytes, optionally kept alive by `owner` (decoded requests view their frame,
// which outlives the handler; Fetch responses own what they read from disk),
// or a FileSlice (only in responses, which the connection sends).
struct Records {
  std::span<const uint8_t> bytes;  // empty when `file` is set
  std::shared_ptr<const void> owner;
  std::optional<FileSlice> file;
  size_t size() const { return file ? file->size_bytes : bytes.size(); }
  // Compares in-memory bytes (file slices are never compared).
  friend bool operator==(const Records& a, const Records& b) {
    return a.bytes.size() == b.bytes.size() &&
           (a.bytes.empty() || std::memcmp(a.bytes.data(), b.bytes.data(), a.bytes.size()) == 0);
  }
};

// Bounds what decoding one frame may allocate, so that a hostile frame (say
// 100 MiB of empty strings) cannot turn into objects many times its size:
// arrays charge their element count times the element's size, strings and
// bytes their length; beyond the budget decoding throws DecodeError.
class DecodeBudget {
 public:
  // Objects may take this many bytes per frame byte (every Kafka request
  // decodes well within it), and at least kMinBytes.
  static constexpr size_t kBytesPerFrameByte = 16;
  static constexpr size_t kMinBytes = 1 << 20;
  static DecodeBudget for_frame(size_t frame_bytes) {
    return DecodeBudget(std::max(kMinBytes, frame_bytes * kBytesPerFrameByte));
  }
  explicit DecodeBudget(size_t bytes) : left_bytes_(bytes) {}
  void charge(size_t bytes) {
    if (bytes > left_bytes_) throw DecodeError("request decodes into too many objects for its size");
    left_bytes_ -= bytes;
  }
  size_t left_bytes() const { return left_bytes_; }

 private:
  size_t left_bytes_;
};

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> data) : data_(data) {}
  // `owner` keeps `data` alive; Records decoded from this reader share it.
  // `budget`, when given, must outlive this reader and its sub-readers.
  Reader(std::span<const uint8_t> data, std::shared_ptr<const void> owner, DecodeBudget* budget = nullptr)
      : data_(data), owner_(std::move(owner)), budget_(budget) {}

  // Counts `bytes` of decoded objects against the budget, if any.
  void charge(size_t bytes) {
    if (budget_) budget_->charge(bytes);
  }

  size_t remaining() const { return data_.size() - pos_; }
  size_t position() const { return pos_; }
  std::span<const uint8_t> rest() const { return data_.subspan(pos_); }

  bool boolean() { return u8() != 0; }
  int8_t i8() { return static_cast<int8_t>(u8()); }
  uint8_t u8() {
    need(1);
    return data_[pos_++];
  }
  int16_t i16() { return static_cast<int16_t>(be<uint16_t>()); }
  uint16_t u16() { return be<uint16_t>(); }
  int32_t i32() { return static_cast<int32_t>(be<uint32_t>()); }
  uint32_t u32() { return be<uint32_t>(); }
  int64_t i64() { return static_cast<int64_t>(be<uint64_t>()); }
  double f64();
  Uuid uuid();

  // Unsigned LEB128 (at most 5 bytes) and zig-zag; one-byte values, the
  // common case in records, take the inline path.
  uint32_t uvarint() { return pos_ < data_.size() && data_[pos_] < 0x80 ? data_[pos_++] : uvarint_multibyte(); }
  int32_t varint() {
    const uint32_t n = uvarint();
    return static_cast<int32_t>((n >> 1) ^ (~(n & 1) + 1));
  }
  // At most 10 bytes.
  uint64_t uvarlong() { return pos_ < data_.size() && data_[pos_] < 0x80 ? data_[pos_++] : uvarlong_multibyte(); }
  int64_t varlong() {
    const uint64_t n = uvarlong();
    return static_cast<int64_t>((n >> 1) ^ (~(n & 1) + 1));
  }

  // Classic (int16/int32 length) and compact (uvarint length+1) forms.
  std::string string();
  std::optional<std::string> nullable_string();
  std::string compact_string();
  std::optional<std::string> compact_nullable_string();
  std::vector<uint8_t> bytes();
  std::optional<std::vector<uint8_t>> nullable_bytes();
  std::vector<uint8_t> compact_bytes();
  std::optional<std::vector<uint8_t>> compact_nullable_bytes();
  std::optional<Records> nullable_records();         // int32 length
  std::optional<Records> compact_nullable_records();  // uvarint length+1

  // Array lengths: -1 (null) comes back as nullopt; a length larger than the
  // bytes left (each element needs >= 1 byte) throws.
  std::optional<int32_t> array_length();
  std::optional<int32_t> compact_array_length();

  std::span<const uint8_t> raw(size_t n) {
    need(n);
    auto s = data_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  void skip(size_t n) { raw(n); }
  // A reader over the next `n` bytes (sharing the owner); this one moves past them.
  Reader sub(size_t n) { return Reader(raw(n), owner_, budget_); }

 private:
  template <typename T>
  T be() {
    need(sizeof(T));
    T v = 0;
    for (size_t i = 0; i < sizeof(T); ++i) v = static_cast<T>((v << 8) | data_[pos_ + i]);
    pos_ += sizeof(T);
    return v;
  }
  uint32_t uvarint_multibyte();
  uint64_t uvarlong_multibyte();
  void need(size_t n) const {
    if (n > remaining()) throw DecodeError("truncated input");
  }
  std::span<const uint8_t> data_;
  size_t pos_ = 0;
  std::shared_ptr<const void> owner_;
  DecodeBudget* budget_ = nullptr;
};

// An encoding whose large record sets are referenced rather than copied:
// `bytes` with each external record set inserted at its position (ascending),
// so a Fetch response is written straight from the buffers storage read, or
// from the page cache for file slices.
struct EncodedMessage {
  std::vector<uint8_t> bytes;
  std::vector<std::pair<size_t, Records>> externals;
  size_t size() const {
    size_t total = bytes.size();
    for (const auto& [position, records] : externals) total += records.size();
    return total;
  }
};

class Writer {
 public:
  // Record sets at least this large and kept alive by an owner, and every
  // file slice, are referenced by take_message() instead of copied.
  static constexpr size_t kExternalRecordsMinBytes = 16 * 1024;

  Writer() { buf_.reserve(256); }

  // Bytes in the buffer; external record sets are not counted.
  size_t size() const { return buf_.size(); }
  std::vector<uint8_t>& buffer() { return buf_; }
  // The encoding as one buffer (external record sets copied in); it must not
  // hold file slices (throws std::logic_error): only a connection sends those.
  std::vector<uint8_t> take();
  // The encoding with external record sets left in place.
  EncodedMessage take_message() { return {std::move(buf_), std::move(externals_)}; }

  void boolean(bool v) { u8(v ? 1 : 0); }
  void i8(int8_t v) { u8(static_cast<uint8_t>(v)); }
  void u8(uint8_t v) { buf_.push_back(v); }
  void i16(int16_t v) { be(static_cast<uint16_t>(v)); }
  void u16(uint16_t v) { be(v); }
  void i32(int32_t v) { be(static_cast<uint32_t>(v)); }
  void u32(uint32_t v) { be(v); }
  void i64(int64_t v) { be(static_cast<uint64_t>(v)); }
  void f64(double v);
  void uuid(const Uuid& v) {
    be(v.hi);
    be(v.lo);
  }

  void uvarint(uint32_t v);
  void varint(int32_t v);
  void uvarlong(uint64_t v);
  void varlong(int64_t v);

  void string(std::string_view v);
  void nullable_string(const std::optional<std::string>& v);
  void compact_string(std::string_view v);
  void compact_nullable_string(const std::optional<std::string>& v);
  void bytes(std::span<const uint8_t> v);
  void nullable_bytes(const std::optional<std::vector<uint8_t>>& v);
  void compact_bytes(std::span<const uint8_t> v);
  void compact_nullable_bytes(const std::optional<std::vector<uint8_t>>& v);
  void nullable_records(const std::optional<Records>& v);
  void compact_nullable_records(const std::optional<Records>& v);

  void array_length(std::optional<int32_t> n) { i32(n ? *n : -1); }
  void compact_array_length(std::optional<int32_t> n) { uvarint(n ? static_cast<uint32_t>(*n + 1) : 0); }

  void raw(std::span<const uint8_t> v) { buf_.insert(buf_.end(), v.begin(), v.end()); }
  // Overwrites 4 bytes at `pos` (used for length prefixes written last).
  void put_i32_at(size_t pos, int32_t v) {
    auto u = static_cast<uint32_t>(v);
    for (int i = 3; i >= 0; --i, u >>= 8) buf_[pos + i] = static_cast<uint8_t>(u);
  }

 private:
  template <typename T>
  void be(T v) {
    uint8_t tmp[sizeof(T)];
    for (int i = sizeof(T) - 1; i >= 0; --i, v = static_cast<T>(v >> 8)) tmp[i] = static_cast<uint8_t>(v);
    buf_.insert(buf_.end(), tmp, tmp + sizeof(T));
  }
  // Writes a record set's bytes (its length prefix already written).
  void records_body(const Records& records);

  std::vector<uint8_t> buf_;
  std::vector<std::pair<size_t, Records>> externals_;
};

// Number of bytes uvarint(v) writes.
size_t uvarint_size(uint64_t v);

}  // namespace freshet::protocol
