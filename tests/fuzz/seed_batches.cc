#include "seed_batches.h"

#include <string>

#include "protocol/batch_iterator.h"
#include "protocol/control_record.h"
#include "protocol/record_batch_builder.h"

namespace freshet::fuzz {
namespace {

using protocol::BytesView;
using protocol::Compression;
using protocol::RecordBatchBuilder;
using protocol::RecordBatchOptions;
using protocol::RecordHeader;

BytesView view(const std::string& s) { return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }

Input plain_batch(Compression codec) {
  RecordBatchOptions options;
  options.compression = codec;
  options.base_offset = 0;
  RecordBatchBuilder builder(options);
  const std::string key = "key", value = "value", repeated(300, 'x');
  const std::vector<RecordHeader> headers = {{"h1", std::vector<uint8_t>{1, 2, 3}}, {"h2", std::nullopt}};
  builder.append(kSeedTimestampMs, view(key), view(value), headers);
  builder.append(kSeedTimestampMs + 5, std::nullopt, view(repeated));
  builder.append(kSeedTimestampMs + 1, view(key), std::nullopt);
  return builder.build();
}

Input producer_batch(Compression codec, bool transactional) {
  RecordBatchOptions options;
  options.compression = codec;
  options.base_offset = 42;
  options.partition_leader_epoch = 3;
  options.producer_id = 1000;
  options.producer_epoch = 2;
  options.base_sequence = 7;
  options.transactional = transactional;
  RecordBatchBuilder builder(options);
  const std::string value = "v";
  builder.append(kSeedTimestampMs, std::nullopt, view(value));
  builder.append(kSeedTimestampMs, std::nullopt, view(value));
  return builder.build();
}

Input special_batch(Compression codec, bool log_append_time) {
  RecordBatchOptions options;
  options.compression = codec;
  if (log_append_time) {
    options.log_append_time = true;
  } else {
    options.delete_horizon_ms = kSeedTimestampMs + 86'400'000;
    options.last_offset_delta = 5;
  }
  RecordBatchBuilder builder(options);
  const std::string key = "k", value = "compacted";
  builder.append_at(1, kSeedTimestampMs, view(key), view(value));
  builder.append_at(3, kSeedTimestampMs, view(key), std::nullopt);
  return builder.build();
}

}  // namespace

std::vector<Input> sample_batches() {
  std::vector<Input> out;
  for (Compression codec :
       {Compression::None, Compression::Gzip, Compression::Snappy, Compression::Lz4, Compression::Zstd}) {
    out.push_back(plain_batch(codec));
    out.push_back(producer_batch(codec, false));
    out.push_back(producer_batch(codec, true));
    out.push_back(special_batch(codec, true));
    out.push_back(special_batch(codec, false));
  }
  for (auto type : {protocol::ControlRecordType::kCommit, protocol::ControlRecordType::kAbort})
    out.push_back(protocol::build_end_txn_marker_batch({type, 5}, 1000, 2, kSeedTimestampMs, 44));
  return out;
}

void for_each_batch(std::span<const uint8_t> data, size_t max_batch_bytes,
                    const std::function<void(std::span<const uint8_t>)>& check) {
  protocol::BatchIterator batches(data, max_batch_bytes);
  try {
    while (auto batch = batches.next()) check(*batch);
  } catch (const protocol::DecodeError&) {
  }
}

}  // namespace freshet::fuzz
