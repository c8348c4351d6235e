// The partitions one shard owns, kept in step with the metadata image: new
// partitions are opened (created or recovered from disk), partitions of
// removed topics are deleted, and config changes reach the live logs. Every
// producer.id.expiration.check.interval.ms the partitions forget producers
// idle for producer.id.expiration.ms. Every method runs on the owning shard's
// thread.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>

#include "cluster/broker_config.h"
#include "cluster/metadata_image.h"
#include "server/coordinator_timer.h"
#include "server/data_notifier.h"
#include "server/flusher.h"
#include "server/partition.h"
#include "storage/log_directories.h"

namespace freshet::server {

class PartitionManager {
 public:
  using Owns = std::function<bool(const cluster::TopicInfo&, int32_t partition)>;

  PartitionManager(unsigned shard, net::ShardSet& shards, const cluster::BrokerConfig& config, DataNotifier& notifier,
                   storage::LogDirectories& log_dirs);

  // Opens owned partitions new in `image` (creating or recovering their
  // logs), deletes those of removed topics, passes config changes on. The
  // first call (at start-up) opens existing partitions; a partition whose log
  // cannot be opened (e.g. its log dir is offline) stays closed, logged, and
  // is not retried.
  void reconcile(const cluster::MetadataImage& image, Owns owns);
  // Clean shutdown of every log on this shard; returns their final
  // recovery points and log start offsets for the checkpoint files.
  std::vector<storage::PartitionCheckpoint> close_all();

  std::shared_ptr<Partition> find(const protocol::Uuid& topic_id, int32_t partition) const;
  // Stops the producer expiration timer (shutdown).
  void stop() { expiration_timer_.stop(); }

 private:
  struct Key {
    protocol::Uuid topic_id;
    int32_t partition;
    friend auto operator<=>(const Key& a, const Key& b) {
      if (a.topic_id.hi != b.topic_id.hi) return a.topic_id.hi <=> b.topic_id.hi;
      if (a.topic_id.lo != b.topic_id.lo) return a.topic_id.lo <=> b.topic_id.lo;
      return a.partition <=> b.partition;
    }
    friend bool operator==(const Key&, const Key&) = default;
  };

  unsigned shard_;
  const cluster::BrokerConfig& config_;
  DataNotifier& notifier_;
  storage::LogDirectories& log_dirs_;
  Flusher flusher_;
  bool started_ = false;  // set after the first reconcile
  std::map<Key, std::shared_ptr<Partition>> partitions_;
  std::set<Key> unavailable_;  // could not be opened
  int64_t next_expiration_check_ms_ = 0;  // armed by the first reconcile
  CoordinatorTimer expiration_timer_;

};

}  // namespace freshet::server
