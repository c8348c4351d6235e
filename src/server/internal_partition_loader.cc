#include "server/internal_partition_loader.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "protocol/batch_iterator.h"
#include "server/broker.h"
#include "server/partition.h"

namespace freshet::server {

namespace {

void load_chunk(Broker& broker, unsigned shard, std::shared_ptr<Partition> partition,
                std::shared_ptr<PartitionLoad> load, int64_t offset) {
  if (!load->still_wanted()) return;
  auto read = partition->read(std::max(offset, partition->log_start_offset()), load->chunk_bytes);
  int64_t next = offset;
  if (read.error == protocol::ErrorCode::None && read.records && !read.records->bytes.empty()) {
    try {
      protocol::BatchIterator batches(read.records->bytes);
      while (auto batch = batches.next()) {
        auto header = protocol::parse_batch_header(*batch);
        if (!header) break;
        next = header->last_offset() + 1;
        load->on_batch(*batch, *header);
      }
    } catch (const std::exception& e) {
      spdlog::error("{}: stopped loading at offset {}: {}", load->name, next, e.what());
    }
  }
  if (next > offset && next < partition->high_watermark()) {
    broker.shards().post(shard, [&broker, shard, partition, load, next] { load_chunk(broker, shard, partition, load, next); });
    return;
  }
  if (read.error != protocol::ErrorCode::None) spdlog::error("{}: loading stopped at offset {}: read failed", load->name, offset);
  spdlog::debug("{} loaded up to offset {}", load->name, next);
  load->on_done();
}

}  // namespace

void load_internal_partition(Broker& broker, unsigned shard, std::shared_ptr<Partition> partition, PartitionLoad load) {
  auto shared = std::make_shared<PartitionLoad>(std::move(load));
  broker.shards().post(shard, [&broker, shard, partition = std::move(partition), shared] {
    load_chunk(broker, shard, partition, shared, 0);
  });
}

}  // namespace freshet::server
