// One log.dir: the partition directories in it, the clean-shutdown marker
// (`.kafka_cleanshutdown`) and the `recovery-point-offset-checkpoint` /
// `log-start-offset-checkpoint` / `cleaner-offset-checkpoint` files, with
// Kafka's names and formats.
//
// Thread-safe (an internal mutex, off the data path): partitions on different
// shards may be opened, deleted and checkpointed concurrently.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <vector>

#include "protocol/wire.h"
#include "storage/log_config.h"
#include "storage/partition_log.h"
#include "storage/topic_partition.h"

namespace freshet::storage {

struct PartitionCheckpoint {
  TopicPartition partition;
  int64_t recovery_point;
  int64_t log_start_offset;
  int64_t cleaner_offset = -1;  // -1: never cleaned
};

class LogDirectory {
 public:
  // Opens `dir`, creating it when missing. Notes whether the last shutdown was
  // clean and removes the marker (durably), so that a crash from now on is
  // seen as unclean; reads the checkpoints; finishes deletions a crash
  // interrupted. Throws StorageError.
  static std::unique_ptr<LogDirectory> open(const std::filesystem::path& dir);

  const std::filesystem::path& path() const { return dir_; }
  bool had_clean_shutdown() const { return had_clean_shutdown_; }
  // The partitions that have a directory here.
  std::vector<TopicPartition> partitions() const;

  // Opens a partition's log (creating it when missing) with what the marker and
  // checkpoints say about it. A partition opened a second time in this process
  // is recovered as after a crash (its first log may not have been closed).
  std::unique_ptr<PartitionLog> open_partition(const TopicPartition& partition, const LogConfig& config,
                                               protocol::Uuid topic_id);
  // Deletes a partition's log (see PartitionLog::delete_all) and its
  // checkpoint entries.
  void delete_partition(const TopicPartition& partition, std::unique_ptr<PartitionLog> log);

  // Records these partitions' recovery points, log start offsets and
  // cleaner offsets and rewrites the checkpoint files (other partitions'
  // entries are kept; the cleaner's only once it has any).
  // Blocking (fsync): call it off the reactors.
  void write_checkpoints(std::span<const PartitionCheckpoint> checkpoints);
  // Writes the clean-shutdown marker. Call last: after every partition was
  // closed and write_checkpoints() received their final state.
  void mark_clean_shutdown();

 private:
  explicit LogDirectory(std::filesystem::path dir) : dir_(std::move(dir)) {}
  void read_checkpoints();
  void write_checkpoints_locked();

  std::filesystem::path dir_;
  bool had_clean_shutdown_ = false;
  mutable std::mutex mutex_;
  std::map<TopicPartition, int64_t> recovery_points_;
  std::map<TopicPartition, int64_t> log_start_offsets_;
  std::map<TopicPartition, int64_t> cleaner_offsets_;
  std::set<TopicPartition> opened_;
};

}  // namespace freshet::storage
