#include "server/partition_manager.h"

#include <spdlog/spdlog.h>


namespace freshet::server {

PartitionManager::PartitionManager(unsigned shard, net::ShardSet& shards, const cluster::BrokerConfig& config,
                                   DataNotifier& notifier, storage::LogDirectory& log_dir)
    : shard_(shard), config_(config), notifier_(notifier), log_dir_(log_dir), flusher_(shards, shard) {}

void PartitionManager::reconcile(const cluster::MetadataImage& image, Owns owns) {
  // Removed topics first, so a re-created topic of the same name starts empty.
  for (auto it = partitions_.begin(); it != partitions_.end();) {
    if (image.topic(it->first.topic_id)) {
      ++it;
      continue;
    }
    Partition& partition = *it->second;
    spdlog::info("deleting partition {}-{}", partition.topic(), partition.index());
    log_dir_.delete_partition({partition.topic(), partition.index()}, partition.release_log());
    it = partitions_.erase(it);
  }
  for (const auto& [name, topic] : image.topics()) {
    ProducePolicy policy = resolve_produce_policy(*topic, config_);
    storage::LogConfig log_config = resolve_log_config(*topic, config_);
    for (const auto& p : topic->partitions) {
      if (!owns(*topic, p.partition)) continue;
      Key key{topic->id, p.partition};
      if (auto it = partitions_.find(key); it != partitions_.end()) {
        it->second->update(policy, log_config);
        continue;
      }
      auto log = log_dir_.open_partition({topic->name, p.partition}, log_config, topic->id);
      partitions_[key] = std::make_shared<Partition>(topic->name, p.partition, std::move(log), policy, notifier_, flusher_);
    }
  }
}

std::vector<storage::PartitionCheckpoint> PartitionManager::close_all() {
  std::vector<storage::PartitionCheckpoint> checkpoints;
  for (auto& [key, partition] : partitions_) {
    try {
      partition->log().close();
      checkpoints.push_back({{partition->topic(), partition->index()},
                             partition->log().recovery_point(),
                             partition->log().log_start_offset()});
    } catch (const std::exception& e) {
      spdlog::error("closing {}-{} failed: {}", partition->topic(), partition->index(), e.what());
    }
  }
  partitions_.clear();
  return checkpoints;
}

std::shared_ptr<Partition> PartitionManager::find(const protocol::Uuid& topic_id, int32_t partition) const {
  auto it = partitions_.find(Key{topic_id, partition});
  return it == partitions_.end() ? nullptr : it->second;
}

}  // namespace freshet::server
