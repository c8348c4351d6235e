#include "server/internal_partition_owner.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "protocol/batch_iterator.h"
#include "server/broker.h"
#include "server/partition.h"

namespace freshet::server {

InternalPartitionOwner::InternalPartitionOwner(Broker& broker, unsigned shard, std::string topic, std::string what,
                                               std::string load_buffer_key, Hooks hooks)
    : broker_(broker), shard_(shard), topic_(std::move(topic)), what_(std::move(what)),
      load_buffer_key_(std::move(load_buffer_key)), hooks_(std::move(hooks)) {}

void InternalPartitionOwner::reconcile(const cluster::MetadataImage& image) {
  const cluster::TopicInfo* topic = image.topic(topic_);
  std::map<int32_t, uint64_t> still_owned;
  std::vector<std::pair<int32_t, uint64_t>> new_loads;
  if (topic) {
    for (const auto& p : topic->partitions) {
      // The coordinator runs where the partition's leader is.
      if (broker_.shard_of(*topic, p.partition) != shard_ || p.leader != broker_.node_id()) continue;
      // A partition whose log could not be opened is not served (clients are
      // told NOT_COORDINATOR) until a later reconcile finds it open.
      if (!find(p.partition)) continue;
      if (auto it = owned_.find(p.partition); it != owned_.end()) {
        still_owned.insert(*it);
        owned_.erase(it);
        continue;
      }
      const uint64_t load_id = next_load_id_++;
      still_owned[p.partition] = load_id;
      hooks_.begin_loading(p);
      new_loads.emplace_back(p.partition, load_id);
    }
  }
  for (const auto& [partition, load_id] : owned_) hooks_.unload(partition);
  owned_ = std::move(still_owned);
  for (const auto& [partition, load_id] : new_loads) start_loading(partition, load_id);
  hooks_.changed();
}

std::shared_ptr<Partition> InternalPartitionOwner::find(int32_t partition) const {
  const cluster::TopicInfo* topic = broker_.image()->topic(topic_);
  return topic ? broker_.partitions(shard_).find(topic->id, partition) : nullptr;
}

bool InternalPartitionOwner::still_loading(int32_t partition, uint64_t load_id) const {
  auto it = owned_.find(partition);
  return it != owned_.end() && it->second == load_id;
}

void InternalPartitionOwner::start_loading(int32_t partition, uint64_t load_id) {
  auto log = find(partition);
  if (!log) {
    spdlog::error("{}-{} is not open on shard {}: the {} starts it empty", topic_, partition, shard_, what_);
    return finish(partition);
  }
  broker_.shards().post(shard_, [this, partition, load_id, log] { load_chunk(partition, load_id, log, 0); });
}

void InternalPartitionOwner::load_chunk(int32_t partition, uint64_t load_id, std::shared_ptr<Partition> log,
                                        int64_t offset) {
  if (!still_loading(partition, load_id)) return;
  auto read = log->read_to_log_end(std::max(offset, log->log_start_offset()),
                        static_cast<int32_t>(broker_.config().get_int(load_buffer_key_)));
  int64_t next = offset;
  if (read.error == protocol::ErrorCode::None && read.records && !read.records->bytes.empty()) {
    try {
      protocol::BatchIterator batches(read.records->bytes);
      while (auto batch = batches.next()) {
        auto header = protocol::parse_batch_header(*batch);
        if (!header) break;
        next = header->last_offset() + 1;
        hooks_.replay_batch(partition, *batch, *header);
      }
    } catch (const std::exception& e) {
      spdlog::error("{}-{}: stopped loading at offset {}: {}", topic_, partition, next, e.what());
    }
  }
  if (next > offset && next < log->log().log_end_offset()) {
    broker_.shards().post(shard_, [this, partition, load_id, log, next] { load_chunk(partition, load_id, log, next); });
    return;
  }
  if (read.error != protocol::ErrorCode::None)
    spdlog::error("{}-{}: loading stopped at offset {}: read failed", topic_, partition, offset);
  spdlog::debug("{}-{} loaded up to offset {}", topic_, partition, next);
  finish(partition);
}

void InternalPartitionOwner::finish(int32_t partition) {
  hooks_.finish_loading(partition);
  if (int64_t skipped = hooks_.skipped_records(); skipped > skipped_reported_) {
    spdlog::warn("{}: {} record(s) the {} cannot use were skipped while loading", topic_, skipped - skipped_reported_,
                 what_);
    skipped_reported_ = skipped;
  }
  hooks_.changed();
}

}  // namespace freshet::server
