// Every log.dir of a node, like Kafka's LogManager over `log.dirs`: which dir
// holds each partition, where a new partition goes (the dir holding the fewest
// partitions), and each dir's checkpoints and clean-shutdown marker.
//
// A dir that cannot be opened at start-up is offline: it serves nothing and is
// reported as such; the others carry on. Thread-safe (an internal mutex, off
// the data path).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "storage/log_directory.h"

namespace freshet::storage {

// The index of the dir a new partition goes to: the online dir (a count) with
// the fewest partitions, the first in order on ties; nullopt if none is online.
std::optional<size_t> next_log_dir(std::span<const std::optional<size_t>> partition_counts);

class LogDirectories {
 public:
  // Opens each of `paths` (LogDirectory::open), in order. A dir that fails is
  // offline (logged with the reason). Partition directories of `foreign_topic`
  // (the metadata log, which someone else keeps) are neither counted, placed
  // nor listed. Throws StorageError when a path is listed twice, when no dir
  // can be opened, or when a partition has a directory in two dirs.
  static std::unique_ptr<LogDirectories> open(const std::vector<std::filesystem::path>& paths,
                                              std::string foreign_topic);

  size_t size() const { return dirs_.size(); }
  const std::filesystem::path& path(size_t index) const { return dirs_[index].path; }
  // The open dir, or nullptr when it is offline.
  LogDirectory* online(size_t index) const { return dirs_[index].dir.get(); }
  // Why the dir is offline (empty when online).
  const std::string& offline_reason(size_t index) const { return dirs_[index].offline_reason; }
  std::vector<std::filesystem::path> online_paths() const;
  bool any_offline() const;

  // Every partition with a directory in an online dir.
  std::vector<TopicPartition> partitions() const;
  // The dir holding the partition, nullopt when none does.
  std::optional<size_t> index_of(const TopicPartition& partition) const;

  // Opens a partition's log in the dir holding it, or creates it in
  // next_log_dir(). An existing partition (`is_new` false: known before this
  // start) that no online dir holds while a dir is offline may be in that
  // dir: it is not created elsewhere, the call throws StorageError instead
  // (Kafka's "Can not create log ... because log directories ... are offline").
  std::unique_ptr<PartitionLog> open_partition(const TopicPartition& partition, const LogConfig& config,
                                               protocol::Uuid topic_id, bool is_new);
  // Deletes a partition's log from the dir holding it (LogDirectory::delete_partition).
  void delete_partition(const TopicPartition& partition, std::unique_ptr<PartitionLog> log);

  // Hands each partition's checkpoint to the dir holding it, and rewrites
  // every online dir's checkpoint files. Blocking (fsync).
  void write_checkpoints(std::span<const PartitionCheckpoint> checkpoints);
  // Writes every online dir's clean-shutdown marker (LogDirectory::mark_clean_shutdown).
  void mark_clean_shutdown();

 private:
  struct Dir {
    std::filesystem::path path;
    std::unique_ptr<LogDirectory> dir;  // null when offline
    std::string offline_reason;
  };
  LogDirectories() = default;
  void locate_locked(const TopicPartition& partition, size_t index);

  std::vector<Dir> dirs_;
  mutable std::mutex mutex_;
  std::map<TopicPartition, size_t> located_;         // partition -> index in dirs_
  std::vector<std::optional<size_t>> partition_counts_;  // per dir; nullopt when offline
};

}  // namespace freshet::storage
