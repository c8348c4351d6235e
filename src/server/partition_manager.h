// The partitions one shard owns, kept in step with the metadata image: new
// partitions are opened (created or recovered from disk), partitions of
// removed topics are deleted, and config changes reach the live logs. Its
// periodic chores, each on the interval of its broker key:
// - producer.id.expiration.check.interval.ms: the partitions forget
//   producers idle for producer.id.expiration.ms;
// - log.retention.check.interval.ms: retention deletes old segments;
// - log.flush.offset.checkpoint.interval.ms: this shard's recovery points
//   and log start offsets go to the checkpoint files, so that a crash
//   recovers only what came after.
// Every method runs on the owning shard's thread.
#pragma once

#include <array>
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
  // DeleteRecords on an owned partition: see Partition::delete_records;
  // the new log start offset is checkpointed before this returns.
  DeleteRecordsOutcome delete_records(Partition& partition, int64_t offset);
  // Stops the chores (shutdown).
  void stop() { chore_timer_.stop(); }

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

  struct Chore {
    const char* interval_key;  // the broker key of its interval in ms
    void (PartitionManager::*run)(int64_t now_ms);
    int64_t next_ms = 0;  // armed by the first reconcile
  };
  // The chore's next run: its interval from `now_ms`.
  void schedule(Chore& chore, int64_t now_ms) const;
  void expire_producers(int64_t now_ms);
  void enforce_retention(int64_t now_ms);
  void write_checkpoints(int64_t now_ms);
  storage::PartitionCheckpoint checkpoint_of(Partition& partition) const;

  unsigned shard_;
  const cluster::BrokerConfig& config_;
  DataNotifier& notifier_;
  storage::LogDirectories& log_dirs_;
  Flusher flusher_;
  bool started_ = false;  // set after the first reconcile
  std::map<Key, std::shared_ptr<Partition>> partitions_;
  std::set<Key> unavailable_;  // could not be opened
  std::array<Chore, 3> chores_;
  CoordinatorTimer chore_timer_;
};

}  // namespace freshet::server
