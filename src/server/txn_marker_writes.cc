#include "server/txn_marker_writes.h"

#include <memory>

#include "server/broker.h"
#include "server/clock.h"
#include "server/fan_out.h"
#include "server/offsets_topic.h"

namespace freshet::server {

namespace {
using protocol::ErrorCode;

struct MarkerItem {
  size_t index;  // into the marker's partitions
  coordinator::TopicPartition tp;
  protocol::Uuid topic_id;
  ErrorCode error = ErrorCode::None;
};

// On `shard`: appends the marker to each item's partition; reply(items) once
// every append is committed as acks=all commits (Partition::await_committed) or refused.
void write_on_shard(Broker& broker, unsigned shard, const coordinator::TxnMarker& marker,
                    std::vector<MarkerItem> items, std::function<void(std::vector<MarkerItem>)> reply) {
  auto shared = std::make_shared<std::vector<MarkerItem>>(std::move(items));
  auto pending = std::make_shared<size_t>(1);
  auto finish_one = [shared, pending, reply] {
    if (--*pending == 0) reply(std::move(*shared));
  };
  for (auto& item : *shared) {
    auto partition = broker.partitions(shard).find(item.topic_id, item.tp.partition);
    if (!partition) {
      item.error = ErrorCode::UnknownTopicOrPartition;
      continue;
    }
    if (!partition->is_leader()) {
      item.error = ErrorCode::NotLeaderOrFollower;
      continue;
    }
    auto outcome = partition->append_end_txn_marker(marker.producer_id, marker.producer_epoch,
                                                    marker.coordinator_epoch, marker.commit, now_ms());
    if (outcome.error != ErrorCode::None) {
      item.error = outcome.error;
      continue;
    }
    ++*pending;
    const bool offsets = item.tp.topic == kOffsetsTopic;
    partition->await_committed(outcome.last_offset, [&broker, shard, &item, offsets, marker, finish_one](ErrorCode error) {
      item.error = error;
      const bool ok = error == ErrorCode::None;
      if (ok && offsets) {
        broker.groups(shard).coordinator().complete_transaction(item.tp.partition, marker.producer_id, marker.commit);
      }
      finish_one();
    });
  }
  finish_one();
}
}  // namespace

void write_txn_markers(Broker& broker, unsigned reply_shard, coordinator::TxnMarker marker,
                       std::function<void(std::vector<ErrorCode>)> done) {
  auto image = broker.image();
  auto errors = std::make_shared<std::vector<ErrorCode>>(marker.partitions.size(), ErrorCode::UnknownTopicOrPartition);
  std::vector<std::vector<MarkerItem>> by_shard(broker.shards().size());
  for (size_t i = 0; i < marker.partitions.size(); ++i) {
    const auto& tp = marker.partitions[i];
    const cluster::TopicInfo* topic = image->topic(tp.topic);
    if (!topic || tp.partition < 0 || static_cast<size_t>(tp.partition) >= topic->partitions.size()) continue;
    by_shard[broker.shard_of(*topic, tp.partition)].push_back(MarkerItem{i, tp, topic->id});
  }
  auto shared_marker = std::make_shared<coordinator::TxnMarker>(std::move(marker));
  fan_out<MarkerItem>(
      broker.shards(), std::move(by_shard),
      [&broker, shared_marker](unsigned shard, std::vector<MarkerItem> items, auto reply) {
        write_on_shard(broker, shard, *shared_marker, std::move(items), std::move(reply));
      },
      [errors](std::vector<MarkerItem>& items) {
        for (const auto& item : items) (*errors)[item.index] = item.error;
      },
      [&broker, reply_shard, errors, done = std::move(done)] {
        // fan_out may finish inside this call (no partition exists): answer later.
        broker.shards().post(reply_shard, [errors, done] { done(std::move(*errors)); });
      });
}

}  // namespace freshet::server
