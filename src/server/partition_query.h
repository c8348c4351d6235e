// Read-only questions about many partitions (ListOffsets,
// OffsetForLeaderEpoch, DescribeLogDirs): each is answered on the partition's
// owner shard, and the answers come back in the order asked.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "server/broker.h"
#include "server/fan_out.h"

namespace freshet::server {

struct PartitionRef {
  protocol::Uuid topic_id;
  int32_t partition;
};

// `query(i, partition)` runs on the owner shard of refs[i] with the
// partition, or nullptr when that shard does not have it (deleted meanwhile).
// It must only read state shared with the caller (e.g. the request).
template <typename Result>
void query_partitions(Broker& broker, const cluster::MetadataImage& image, std::vector<PartitionRef> refs,
                      std::function<Result(size_t index, Partition*)> query, std::function<void(std::vector<Result>)> done) {
  struct Item {
    size_t index;
    PartitionRef ref;
    Result result;
  };
  std::vector<std::vector<Item>> by_shard(broker.shards().size());
  for (size_t i = 0; i < refs.size(); ++i) {
    const cluster::TopicInfo* topic = image.topic(refs[i].topic_id);
    by_shard[topic ? broker.shard_of(*topic, refs[i].partition) : 0].push_back(Item{i, refs[i], Result{}});
  }
  auto results = std::make_shared<std::vector<Result>>(refs.size());
  fan_out<Item>(
      broker.shards(), std::move(by_shard),
      [&broker, query = std::move(query)](unsigned shard, std::vector<Item> items, auto reply) {
        for (auto& item : items) item.result = query(item.index, broker.partitions(shard).find(item.ref.topic_id, item.ref.partition).get());
        reply(std::move(items));
      },
      [results](std::vector<Item>& items) {
        for (auto& item : items) (*results)[item.index] = std::move(item.result);
      },
      [results, done = std::move(done)] { done(std::move(*results)); });
}

}  // namespace freshet::server
