#include "protocol/control_record.h"

#include <stdexcept>
#include <string>

#include "protocol/record_batch_builder.h"
#include "protocol/wire.h"

namespace freshet::protocol {
namespace {

constexpr int16_t kControlKeyVersion = 0;
constexpr int16_t kEndTxnMarkerVersion = 0;
constexpr size_t kControlKeyBytes = 4;
constexpr size_t kEndTxnMarkerValueBytes = 6;

bool is_end_txn(ControlRecordType type) {
  return type == ControlRecordType::kAbort || type == ControlRecordType::kCommit;
}

}  // namespace

std::vector<uint8_t> control_record_key(ControlRecordType type) {
  if (type == ControlRecordType::kUnknown) throw std::invalid_argument("cannot write an unknown control record type");
  Writer out;
  out.i16(kControlKeyVersion);
  out.i16(static_cast<int16_t>(type));
  return out.take();
}

ControlRecordType parse_control_record_type(std::span<const uint8_t> key) {
  if (key.size() < kControlKeyBytes) {
    throw DecodeError("control record key has " + std::to_string(key.size()) + " bytes, needs 4");
  }
  Reader in(key);
  const int16_t version = in.i16();
  if (version < 0) throw DecodeError("control record key has invalid version " + std::to_string(version));
  const int16_t type = in.i16();
  if (type < static_cast<int16_t>(ControlRecordType::kAbort) ||
      type > static_cast<int16_t>(ControlRecordType::kKraftVoters)) {
    return ControlRecordType::kUnknown;
  }
  return static_cast<ControlRecordType>(type);
}

EndTxnMarker parse_end_txn_marker(const Record& record) {
  if (!record.key) throw DecodeError("control record has a null key");
  const ControlRecordType type = parse_control_record_type(*record.key);
  if (!is_end_txn(type)) throw DecodeError("control record is not an end-transaction marker");
  if (!record.value || record.value->size() < kEndTxnMarkerValueBytes) {
    throw DecodeError("end-transaction marker value is shorter than 6 bytes");
  }
  Reader in(*record.value);
  const int16_t version = in.i16();
  if (version < 0) throw DecodeError("end-transaction marker has invalid version " + std::to_string(version));
  return EndTxnMarker{type, in.i32()};
}

std::vector<uint8_t> build_end_txn_marker_batch(const EndTxnMarker& marker, int64_t producer_id,
                                                int16_t producer_epoch, int64_t timestamp_ms, int64_t base_offset) {
  if (!is_end_txn(marker.type)) throw std::invalid_argument("an end-transaction marker is a commit or an abort");
  RecordBatchOptions options;
  options.base_offset = base_offset;
  options.producer_id = producer_id;
  options.producer_epoch = producer_epoch;
  options.transactional = true;
  options.control = true;
  Writer value;
  value.i16(kEndTxnMarkerVersion);
  value.i32(marker.coordinator_epoch);
  const std::vector<uint8_t> key = control_record_key(marker.type);
  RecordBatchBuilder builder(options);
  builder.append(timestamp_ms, std::span<const uint8_t>(key), std::span<const uint8_t>(value.buffer()));
  return builder.build();
}

}  // namespace freshet::protocol
