#include "protocol/batch_records.h"

#include <string>

#include "protocol/record_batch.h"
#include "protocol/wire.h"

namespace freshet::protocol {
namespace {

// The smallest record: length, attributes, timestamp delta, offset delta,
// key length, value length and header count, one byte each.
constexpr size_t kMinRecordBytes = 7;

RecordBatchHeader whole_batch_header(std::span<const uint8_t> batch) {
  std::optional<RecordBatchHeader> header = parse_batch_header(batch);
  if (!header) throw DecodeError("record batch shorter than its header");
  if (header->magic != kRecordBatchMagic) {
    throw DecodeError("record batch magic " + std::to_string(header->magic) + " is not 2");
  }
  if (header->batch_length < static_cast<int32_t>(kRecordBatchHeaderSize - kBatchLogOverhead) ||
      header->total_size() > batch.size()) {
    throw DecodeError("record batch length " + std::to_string(header->batch_length) + " does not match its " +
                      std::to_string(batch.size()) + " bytes");
  }
  return *header;
}

std::span<const uint8_t> records_payload(std::span<const uint8_t> batch, const RecordBatchHeader& header) {
  return batch.subspan(kRecordBatchHeaderSize, header.total_size() - kRecordBatchHeaderSize);
}

}  // namespace

std::vector<uint8_t> uncompressed_records(std::span<const uint8_t> batch, size_t max_uncompressed_bytes) {
  const RecordBatchHeader header = whole_batch_header(batch);
  return decompress(header.compression(), records_payload(batch, header), max_uncompressed_bytes);
}

std::vector<Record> decode_records(std::span<const uint8_t> batch, size_t max_uncompressed_bytes) {
  const RecordBatchHeader header = whole_batch_header(batch);
  const std::vector<uint8_t> bytes =
      decompress(header.compression(), records_payload(batch, header), max_uncompressed_bytes);
  if (header.records_count < 0 || static_cast<size_t>(header.records_count) > bytes.size() / kMinRecordBytes) {
    throw DecodeError("record batch declares " + std::to_string(header.records_count) + " records in " +
                      std::to_string(bytes.size()) + " bytes");
  }
  Reader in(bytes);
  std::vector<Record> records;
  records.reserve(static_cast<size_t>(header.records_count));
  for (int32_t i = 0; i < header.records_count; ++i) records.push_back(read_record(in));
  if (in.remaining() != 0) {
    throw DecodeError("record batch has " + std::to_string(in.remaining()) + " bytes after its " +
                      std::to_string(header.records_count) + " records");
  }
  return records;
}

std::vector<uint8_t> recompress_batch(std::span<const uint8_t> batch, Compression target,
                                      size_t max_uncompressed_bytes) {
  RecordBatchHeader header = whole_batch_header(batch);
  const std::vector<uint8_t> records =
      decompress(header.compression(), records_payload(batch, header), max_uncompressed_bytes);
  header.attributes = static_cast<int16_t>((header.attributes & ~kCompressionCodecMask) | static_cast<int16_t>(target));
  return encode_batch(header, records);
}

}  // namespace freshet::protocol
