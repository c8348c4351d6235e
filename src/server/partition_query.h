// Questions about many partitions (ListOffsets, OffsetForLeaderEpoch,
// DescribeLogDirs) and one-step changes to them (DeleteRecords): each runs on
// the partition's owner shard, and the answers come back in the order asked.
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

// Where a per-partition request's partitions are: refs[i] for
// query_partitions(), and slots[i] its (topic, partition) position in the
// request. Partitions the image does not have are left out (their answer is
// UNKNOWN_TOPIC_OR_PARTITION), and so are those another broker leads, whose
// positions are `elsewhere` (NOT_LEADER_OR_FOLLOWER: the client asks the leader).
struct LocatedPartitions {
  std::vector<PartitionRef> refs;
  std::vector<std::pair<size_t, size_t>> slots;
  std::vector<std::pair<size_t, size_t>> elsewhere;
};
// `topics` is the request's topic list, each with `partitions`; name_of(topic)
// is a topic's name, index_of(partition) a partition's index; `self` this broker.
template <typename Topics, typename NameOf, typename IndexOf>
LocatedPartitions locate_partitions(const cluster::MetadataImage& image, int32_t self, const Topics& topics,
                                    NameOf name_of, IndexOf index_of) {
  LocatedPartitions located;
  for (size_t t = 0; t < topics.size(); ++t) {
    const cluster::TopicInfo* topic = image.topic(name_of(topics[t]));
    if (!topic) continue;
    for (size_t p = 0; p < topics[t].partitions.size(); ++p) {
      const int32_t index = index_of(topics[t].partitions[p]);
      if (index < 0 || static_cast<size_t>(index) >= topic->partitions.size()) continue;
      if (topic->partitions[static_cast<size_t>(index)].leader != self) {
        located.elsewhere.emplace_back(t, p);
        continue;
      }
      located.refs.push_back({topic->id, index});
      located.slots.emplace_back(t, p);
    }
  }
  return located;
}

// `query(i, partition)` runs on the owner shard of refs[i] with the
// partition, or nullptr when that shard does not have it (deleted meanwhile).
// It may change the partition, but must only read state shared with the
// caller (e.g. the request).
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
