// Loading a coordinator's internal partition (__consumer_offsets,
// __transaction_state) when its shard takes it over: the log is read from
// its start in chunks of `chunk_bytes` (offsets.load.buffer.size,
// transaction.state.log.load.buffer.size), yielding to other work on the
// shard between chunks, and every batch up to the high watermark is handed to
// `on_batch`, control batches included. Shard thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "protocol/record_batch.h"

namespace freshet::server {

class Broker;
class Partition;

struct PartitionLoad {
  std::string name;  // "<topic>-<partition>", for log lines
  int32_t chunk_bytes = 0;
  // Asked before every chunk: false stops the load (unloaded or reloaded meanwhile).
  std::function<bool()> still_wanted;
  std::function<void(std::span<const uint8_t> batch, const protocol::RecordBatchHeader& header)> on_batch;
  // Runs once, at the end of the log (or where a read failed, logged).
  std::function<void()> on_done;
};

// Starts loading `partition` on `shard` (the first chunk is read later, posted).
void load_internal_partition(Broker& broker, unsigned shard, std::shared_ptr<Partition> partition, PartitionLoad load);

}  // namespace freshet::server
