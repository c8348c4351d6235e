#include "record_stream.h"

#include "protocol/wire.h"

namespace freshet::fuzz {

std::vector<StreamRecord> split_record_stream(std::span<const uint8_t> data) {
  std::vector<StreamRecord> records;
  protocol::Reader in(data);
  try {
    while (in.remaining() > 0) {
      StreamRecord record;
      record.key = in.raw(in.u16());
      const int32_t value_length = in.i32();
      if (value_length >= 0) record.value = in.raw(static_cast<size_t>(value_length));
      records.push_back(record);
    }
  } catch (const protocol::DecodeError&) {
  }
  return records;
}

void append_stream_record(Input& out, std::span<const uint8_t> key, std::optional<std::span<const uint8_t>> value) {
  protocol::Writer w;
  w.u16(static_cast<uint16_t>(key.size()));
  w.raw(key);
  w.i32(value ? static_cast<int32_t>(value->size()) : -1);
  if (value) w.raw(*value);
  const std::vector<uint8_t> bytes = w.take();
  out.insert(out.end(), bytes.begin(), bytes.end());
}

}  // namespace freshet::fuzz
