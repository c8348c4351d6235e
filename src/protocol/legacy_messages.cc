#include "protocol/legacy_messages.h"

#include <fmt/format.h>
#include <xxhash.h>
#include <zlib.h>

#include <algorithm>

#include "protocol/batch_iterator.h"
#include "protocol/record_batch.h"
#include "protocol/record_batch_builder.h"
#include "protocol/record_scanner.h"

namespace freshet::protocol {

namespace {

constexpr size_t kEntryOverhead = 12;      // offset int64 + size int32
constexpr int32_t kMinMessageV0Bytes = 14;  // crc, magic, attributes, two lengths
constexpr int8_t kLogAppendTimeAttribute = 0x08;
constexpr int8_t kCodecMask = 0x07;
constexpr size_t kMagicPosition = 16;  // of a message set entry, as of a v2 batch

uint32_t crc32_ieee(std::span<const uint8_t> data) {
  return static_cast<uint32_t>(::crc32(0L, data.data(), static_cast<uInt>(data.size())));
}

struct LegacyMessage {
  int64_t offset;
  int8_t magic;
  int8_t attributes;
  int64_t timestamp;  // -1 in magic 0
  BytesView key;
  BytesView value;
  Compression codec() const { return static_cast<Compression>(attributes & kCodecMask); }
};

BytesView int32_length_bytes(Reader& r) {
  const int32_t length = r.i32();
  if (length < -1) throw DecodeError("invalid message key or value length");
  if (length == -1) return std::nullopt;
  return r.raw(static_cast<size_t>(length));
}

// Calls visit(message) for each message of `set` in order (wrappers are not
// unpacked). Every byte must belong to a whole, valid message.
template <typename Visit>
void for_each_message(std::span<const uint8_t> set, Visit visit) {
  Reader r(set);
  while (r.remaining() > 0) {
    if (r.remaining() < kEntryOverhead) throw DecodeError("message set ends inside an entry");
    LegacyMessage m{};
    m.offset = r.i64();
    const int32_t size = r.i32();
    if (size < kMinMessageV0Bytes || static_cast<size_t>(size) > r.remaining())
      throw DecodeError(fmt::format("invalid message size {}", size));
    const std::span<const uint8_t> bytes = r.raw(static_cast<size_t>(size));
    Reader mr(bytes);
    const uint32_t stored_crc = mr.u32();
    const uint32_t computed_crc = crc32_ieee(bytes.subspan(4));
    if (stored_crc != computed_crc)
      throw DecodeError(fmt::format("Message is corrupt (stored crc = {}, computed crc = {})", stored_crc, computed_crc));
    m.magic = mr.i8();
    if (m.magic != 0 && m.magic != 1) throw DecodeError(fmt::format("invalid magic {} in a message set", m.magic));
    m.attributes = mr.i8();
    m.timestamp = m.magic == 1 ? mr.i64() : kNoTimestamp;
    m.key = int32_length_bytes(mr);
    m.value = int32_length_bytes(mr);
    if (mr.remaining() != 0) throw DecodeError("message size does not match its contents");
    visit(m);
  }
}

// The LZ4 frame header checksum: the second byte of XXH32 over the frame
// descriptor; Kafka's magic-0 writers took the frame's magic number in too.
size_t lz4_descriptor_end(std::span<const uint8_t> frame) {
  constexpr size_t kMagicBytes = 4;
  if (frame.size() < kMagicBytes + 3) throw DecodeError("LZ4 frame too short");
  const uint8_t flags = frame[kMagicBytes];
  size_t end = kMagicBytes + 2 + ((flags & 0x08) ? 8 : 0) + ((flags & 0x01) ? 4 : 0);
  if (end >= frame.size()) throw DecodeError("LZ4 frame too short");
  return end;
}

uint8_t lz4_header_checksum(std::span<const uint8_t> frame, bool with_magic) {
  const size_t end = lz4_descriptor_end(frame);
  const size_t begin = with_magic ? 0 : 4;
  return static_cast<uint8_t>((XXH32(frame.data() + begin, end - begin, 0) >> 8) & 0xFF);
}

std::vector<uint8_t> decompress_wrapped(Compression codec, std::span<const uint8_t> data, int8_t magic,
                                        size_t max_bytes) {
  if (codec != Compression::Lz4 || magic != 0) return decompress(codec, data, max_bytes);
  // Magic 0 LZ4 (Kafka before 0.10, librdkafka for such brokers) has the
  // descriptor checksum computed with the magic number: set it right.
  std::vector<uint8_t> fixed(data.begin(), data.end());
  fixed[lz4_descriptor_end(fixed)] = lz4_header_checksum(fixed, /*with_magic=*/false);
  return decompress(codec, fixed, max_bytes);
}

std::vector<uint8_t> compress_wrapped(Compression codec, std::span<const uint8_t> data, int8_t magic) {
  std::vector<uint8_t> out = compress(codec, data);
  // What magic-0 readers (Kafka's KafkaLZ4BlockInputStream) expect.
  if (codec == Compression::Lz4 && magic == 0) out[lz4_descriptor_end(out)] = lz4_header_checksum(out, true);
  return out;
}

void write_int32_length_bytes(Writer& w, BytesView bytes) {
  if (!bytes) {
    w.i32(-1);
    return;
  }
  w.i32(static_cast<int32_t>(bytes->size()));
  w.raw(*bytes);
}

// Appends one message set entry.
void write_legacy_message(Writer& w, int64_t offset, int8_t magic, int8_t attributes, int64_t timestamp, BytesView key,
                   BytesView value) {
  Writer body;
  body.i8(magic);
  body.i8(attributes);
  if (magic == 1) body.i64(timestamp);
  write_int32_length_bytes(body, key);
  write_int32_length_bytes(body, value);
  const std::vector<uint8_t>& rest = body.buffer();
  w.i64(offset);
  w.i32(static_cast<int32_t>(4 + rest.size()));
  w.u32(crc32_ieee(rest));
  w.raw(rest);
}

}  // namespace

bool is_legacy_message_set(std::span<const uint8_t> record_set) {
  return record_set.size() > kMagicPosition && record_set[kMagicPosition] < 2;
}

std::vector<uint8_t> upconvert_message_set(std::span<const uint8_t> record_set, size_t max_uncompressed_bytes) {
  std::optional<int8_t> magic;
  Compression codec = Compression::None;
  std::vector<std::vector<uint8_t>> inflated;  // keeps the inner messages' bytes alive
  struct Converted {
    int64_t timestamp;
    BytesView key;
    BytesView value;
  };
  std::vector<Converted> records;
  size_t bytes = 0;
  auto add = [&](int64_t timestamp, const LegacyMessage& m) {
    bytes += (m.key ? m.key->size() : 0) + (m.value ? m.value->size() : 0);
    if (bytes > max_uncompressed_bytes) throw DecodeError("message set too large once converted");
    records.push_back({timestamp, m.key, m.value});
  };
  auto same_magic = [&](const LegacyMessage& m) {
    if (magic && *magic != m.magic) throw DecodeError("a message set mixes message formats");
    magic = m.magic;
  };
  for_each_message(record_set, [&](const LegacyMessage& wrapper) {
    same_magic(wrapper);
    if (wrapper.codec() == Compression::None) return add(wrapper.timestamp, wrapper);
    if (wrapper.codec() > Compression::Lz4)
      throw DecodeError(fmt::format("compression codec {} is invalid in message format v{}",
                                    static_cast<int>(wrapper.codec()), wrapper.magic));
    if (!wrapper.value) throw DecodeError("a compressed message has no value");
    codec = wrapper.codec();
    inflated.push_back(decompress_wrapped(codec, *wrapper.value, wrapper.magic, max_uncompressed_bytes));
    const bool append_time = wrapper.magic == 1 && (wrapper.attributes & kLogAppendTimeAttribute);
    for_each_message(inflated.back(), [&](const LegacyMessage& inner) {
      same_magic(inner);
      if (inner.codec() != Compression::None) throw DecodeError("a compressed message inside a compressed message");
      add(append_time ? wrapper.timestamp : inner.timestamp, inner);
    });
  });
  if (records.empty()) throw DecodeError("the message set holds no message");

  RecordBatchOptions options;
  options.compression = codec;
  RecordBatchBuilder builder(options);
  for (const auto& r : records) builder.append(r.timestamp, r.key, r.value);
  return builder.build();
}

std::optional<std::vector<uint8_t>> downconvert_batches(std::span<const uint8_t> batches, int8_t magic,
                                                        int64_t first_offset, size_t max_uncompressed_bytes) {
  Writer out;
  const RecordScanLimits limits{max_uncompressed_bytes, SIZE_MAX};
  for (auto batch : split_batches(batches)) {
    const RecordBatchHeader header = *parse_batch_header(batch);
    if (header.is_control() || header.last_offset() < first_offset) continue;
    if (header.compression() == Compression::Zstd) return std::nullopt;
    const bool append_time = header.log_append_time();
    const int8_t time_attribute = magic == 1 && append_time ? kLogAppendTimeAttribute : 0;
    // Each record as a message: at its own offset in `out`, or (compressed)
    // at its offset relative to the wrapper (v1) or absolute (v0) inside it.
    const bool compressed = header.compression() != Compression::None;
    Writer inner;
    Writer& target = compressed ? inner : out;
    int64_t last_offset = -1;
    int64_t last_timestamp = kNoTimestamp;
    RecordScanner scanner(batch, header, limits);
    int64_t position = 0;  // the record's index in the wrapper
    while (auto record = scanner.next()) {
      const int64_t offset = header.base_offset + record->offset_delta;
      if (offset < first_offset) continue;
      const int64_t timestamp = append_time ? header.max_timestamp : header.base_timestamp + record->timestamp_delta;
      const int64_t stored_offset = compressed && magic == 1 ? position : offset;
      write_legacy_message(target, stored_offset, magic, time_attribute, timestamp, record->key, record->value);
      last_offset = offset;
      last_timestamp = std::max(last_timestamp, timestamp);
      ++position;
    }
    if (!compressed || last_offset < 0) continue;
    const std::vector<uint8_t> packed = compress_wrapped(header.compression(), inner.buffer(), magic);
    const int64_t wrapper_timestamp = append_time ? header.max_timestamp : last_timestamp;
    write_legacy_message(out, last_offset, magic, static_cast<int8_t>(static_cast<int8_t>(header.compression()) | time_attribute),
                  wrapper_timestamp, std::nullopt, std::span<const uint8_t>(packed));
  }
  return out.take();
}

}  // namespace freshet::protocol
