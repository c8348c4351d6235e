// The partitions one shard owns, kept in step with the metadata image: new
// partitions are opened (created or recovered from disk), partitions of
// removed topics are deleted, and config changes reach the live logs. Its
// periodic chores, each on the interval of its broker key:
// - producer.id.expiration.check.interval.ms: the partitions forget
//   producers idle for producer.id.expiration.ms;
// - log.retention.check.interval.ms: retention deletes old segments;
// - log.flush.offset.checkpoint.interval.ms: this shard's recovery points,
//   log start offsets and cleaner offsets go to the checkpoint files (written
//   on the shard's Flusher thread, like the removal of deleted segments'
//   files), so that a crash recovers only what came after;
// - log.flush.offset.checkpoint.interval.ms too: partitions that could not
//   be opened for want of disk space are tried again (a full disk costs
//   availability until space returns, not until a restart);
// - log.flush.scheduler.interval.ms: partitions whose last flush is older
//   than flush.ms are flushed;
// - log.cleaner.backoff.ms: compacted partitions due a cleaning have it run
//   by the CleanerPool (at most one per partition at a time), and installed
//   here when it is done; a partition whose cleaning failed is not cleaned
//   again until restart (Kafka's uncleanable partitions).
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
#include "server/cleaner_pool.h"
#include "server/coordinator_timer.h"
#include "server/data_notifier.h"
#include "server/flusher.h"
#include "server/partition.h"
#include "storage/log_directories.h"

namespace freshet::server {

class PartitionManager {
 public:
  using Owns = std::function<bool(const cluster::TopicInfo&, int32_t partition)>;

  // `cleaner` is null when log.cleaner.enable is false; `reconcile_again`
  // calls reconcile() with the current image (and whatever else follows it).
  PartitionManager(unsigned shard, net::ShardSet& shards, const cluster::BrokerConfig& config, DataNotifier& notifier,
                   storage::LogDirectories& log_dirs, CleanerPool* cleaner, std::function<void()> reconcile_again);

  // Opens owned partitions new in `image` (creating or recovering their
  // logs), deletes those of removed topics, passes config changes on. The
  // first call (at start-up) opens existing partitions; a partition whose log
  // cannot be opened stays closed, logged, and is not retried (e.g. its log
  // dir is offline) unless the disk was full.
  // Only topics new or changed since the last image are looked at (images
  // share unchanged topics), unless the broker defaults changed or
  // partitions are being tried again.
  void reconcile(std::shared_ptr<const cluster::MetadataImage> image, Owns owns);
  // Clean shutdown of every log on this shard; returns their final
  // recovery points and log start offsets for the checkpoint files.
  std::vector<storage::PartitionCheckpoint> close_all();

  std::shared_ptr<Partition> find(const protocol::Uuid& topic_id, int32_t partition) const;
  // Calls fn(topic_id, partition) for every open partition of this shard.
  template <typename Fn>
  void for_each(Fn fn) const {
    for (const auto& [key, partition] : partitions_) fn(key.topic_id, partition);
  }
  // Writes the partition's recovery point and log start offset to the
  // checkpoint files now (after a truncation or a new log start); false,
  // logged, when that failed.
  bool checkpoint_now(Partition& partition);
  // DeleteRecords on an owned partition: see Partition::delete_records;
  // the new log start offset is checkpointed before this returns.
  DeleteRecordsOutcome delete_records(Partition& partition, int64_t offset);
  // Stops the chores (shutdown); cleanings finishing later are not installed.
  void stop() {
    chore_timer_.stop();
    stopped_ = true;
  }

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
  void plan_cleanings(int64_t now_ms);
  void reopen_after_full_disk(int64_t now_ms);
  void flush_stale_partitions(int64_t now_ms);
  // Submits the partition's cleaning if one is due and none is running.
  void start_cleaning(const Key& key, const std::shared_ptr<Partition>& partition, int64_t now_ms);
  void finish_cleaning(const Key& key, const std::weak_ptr<Partition>& partition, CleaningOutcome outcome);
  storage::PartitionCheckpoint checkpoint_of(Partition& partition) const;

  unsigned shard_;
  const cluster::BrokerConfig& config_;
  DataNotifier& notifier_;
  storage::LogDirectories& log_dirs_;
  CleanerPool* cleaner_;
  Flusher flusher_;
  bool started_ = false;  // set after the first reconcile
  std::map<Key, std::shared_ptr<Partition>> partitions_;
  std::set<Key> unavailable_;  // could not be opened
  std::set<Key> out_of_space_;  // could not be opened for want of space: retried
  std::set<Key> retrying_;      // during a retry: those being tried again
  // What the last reconcile saw.
  std::shared_ptr<const cluster::MetadataImage> seen_image_;
  std::shared_ptr<const cluster::DynamicBrokerConfigs> seen_dynamic_;
  // Opens, or passes config changes on to, the owned partitions of `topic`.
  void reconcile_topic(const cluster::TopicInfo& topic, const Owns& owns, bool is_new);
  // Deletes the owned partitions of a removed topic.
  void remove_topic(const protocol::Uuid& topic_id);
  std::function<void()> reconcile_again_;
  std::set<Key> cleaning_;     // a cleaning is running
  std::set<Key> uncleanable_;  // a cleaning failed
  bool stopped_ = false;
  std::array<Chore, 6> chores_;
  CoordinatorTimer chore_timer_;
};

}  // namespace freshet::server
