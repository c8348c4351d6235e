// The framing the record-sequence fuzz targets read their input in: a
// sequence of key/value records, each
//   int16  key length, key bytes
//   int32  value length (-1: null value, a tombstone), value bytes
// ending at the first record that does not fit.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "fuzz_target.h"

namespace freshet::fuzz {

struct StreamRecord {
  std::span<const uint8_t> key;
  std::optional<std::span<const uint8_t>> value;
};

std::vector<StreamRecord> split_record_stream(std::span<const uint8_t> data);
void append_stream_record(Input& out, std::span<const uint8_t> key, std::optional<std::span<const uint8_t>> value);

}  // namespace freshet::fuzz
