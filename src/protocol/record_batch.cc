#include "protocol/record_batch.h"

#include <cassert>
#include <stdexcept>
#include <type_traits>

#include "protocol/crc32c.h"
#include "protocol/wire.h"

namespace freshet::protocol {
namespace {

constexpr size_t kBatchLengthOffset = 8;
constexpr size_t kPartitionLeaderEpochOffset = 12;
constexpr size_t kMaxTimestampOffset = 35;

template <typename T>
void put_big_endian(std::span<uint8_t> bytes, size_t offset, T value) {
  auto u = static_cast<std::make_unsigned_t<T>>(value);
  for (size_t i = sizeof(T); i-- > 0; u = static_cast<decltype(u)>(u >> 8)) bytes[offset + i] = static_cast<uint8_t>(u);
}

// The batch's size as its header declares it, when `batch` is at least that
// long (and the length is sane); nullopt otherwise.
std::optional<size_t> declared_size(std::span<const uint8_t> batch) {
  if (batch.size() < kRecordBatchHeaderSize) return std::nullopt;
  Reader in(batch.subspan(kBatchLengthOffset, 4));
  const int32_t batch_length = in.i32();
  if (batch_length < static_cast<int32_t>(kRecordBatchHeaderSize - kBatchLogOverhead)) return std::nullopt;
  const size_t total = kBatchLogOverhead + static_cast<size_t>(batch_length);
  if (total > batch.size()) return std::nullopt;
  return total;
}

void require_header(std::span<const uint8_t> batch) {
  if (batch.size() < kRecordBatchHeaderSize) throw std::invalid_argument("record batch shorter than its header");
}

}  // namespace

std::optional<RecordBatchHeader> parse_batch_header(std::span<const uint8_t> bytes) {
  if (bytes.size() < kRecordBatchHeaderSize) return std::nullopt;
  Reader in(bytes.first(kRecordBatchHeaderSize));
  RecordBatchHeader h;
  h.base_offset = in.i64();
  h.batch_length = in.i32();
  h.partition_leader_epoch = in.i32();
  h.magic = in.i8();
  h.crc = in.u32();
  h.attributes = in.i16();
  h.last_offset_delta = in.i32();
  h.base_timestamp = in.i64();
  h.max_timestamp = in.i64();
  h.producer_id = in.i64();
  h.producer_epoch = in.i16();
  h.base_sequence = in.i32();
  h.records_count = in.i32();
  return h;
}

uint32_t compute_batch_crc(std::span<const uint8_t> batch) {
  const std::optional<size_t> size = declared_size(batch);
  if (!size) throw std::invalid_argument("compute_batch_crc needs a whole batch");
  return crc32c(batch.subspan(kBatchAttributesOffset, *size - kBatchAttributesOffset));
}

bool batch_crc_valid(std::span<const uint8_t> batch) {
  if (!declared_size(batch)) return false;
  return Reader(batch.subspan(kBatchCrcOffset, 4)).u32() == compute_batch_crc(batch);
}

void set_base_offset(std::span<uint8_t> batch, int64_t base_offset) {
  require_header(batch);
  put_big_endian(batch, 0, base_offset);
}

void set_partition_leader_epoch(std::span<uint8_t> batch, int32_t epoch) {
  require_header(batch);
  put_big_endian(batch, kPartitionLeaderEpochOffset, epoch);
}

namespace {
void set_max_timestamp(std::span<uint8_t> batch, bool log_append_time, int64_t timestamp_ms) {
  require_header(batch);
  const int16_t attributes = Reader(batch.subspan(kBatchAttributesOffset, 2)).i16();
  const int16_t others = static_cast<int16_t>(attributes & ~kLogAppendTimeBit);
  put_big_endian(batch, kBatchAttributesOffset, log_append_time ? static_cast<int16_t>(others | kLogAppendTimeBit) : others);
  put_big_endian(batch, kMaxTimestampOffset, timestamp_ms);
  put_big_endian(batch, kBatchCrcOffset, compute_batch_crc(batch));
}
}  // namespace

void set_log_append_time(std::span<uint8_t> batch, int64_t timestamp_ms) { set_max_timestamp(batch, true, timestamp_ms); }

void set_create_time(std::span<uint8_t> batch, int64_t max_timestamp_ms) {
  set_max_timestamp(batch, false, max_timestamp_ms);
}

std::vector<uint8_t> encode_batch(const RecordBatchHeader& header, std::span<const uint8_t> records) {
  const std::vector<uint8_t> payload = compress(header.compression(), records);
  Writer out;
  out.buffer().reserve(kRecordBatchHeaderSize + payload.size());
  out.i64(header.base_offset);
  out.i32(0);  // batch_length, patched below
  out.i32(header.partition_leader_epoch);
  out.i8(kRecordBatchMagic);
  out.u32(0);  // crc, patched below
  out.i16(header.attributes);
  out.i32(header.last_offset_delta);
  out.i64(header.base_timestamp);
  out.i64(header.max_timestamp);
  out.i64(header.producer_id);
  out.i16(header.producer_epoch);
  out.i32(header.base_sequence);
  out.i32(header.records_count);
  assert(out.size() == kRecordBatchHeaderSize);
  out.raw(payload);
  if (out.size() - kBatchLogOverhead > static_cast<size_t>(INT32_MAX)) {
    throw std::length_error("record batch larger than 2 GiB");
  }
  out.put_i32_at(kBatchLengthOffset, static_cast<int32_t>(out.size() - kBatchLogOverhead));
  std::vector<uint8_t> batch = out.take();
  put_big_endian(std::span<uint8_t>(batch), kBatchCrcOffset, compute_batch_crc(batch));
  return batch;
}

}  // namespace freshet::protocol
