#include "storage/log_directory.h"

#include <spdlog/spdlog.h>

#include <string>
#include <system_error>

#include "storage/checkpoint_file.h"
#include "storage/file_handle.h"
#include "storage/log_file_names.h"
#include "storage/storage_error.h"

namespace freshet::storage {

namespace {
constexpr std::string_view kCleanShutdownFileName = ".kafka_cleanshutdown";
constexpr std::string_view kRecoveryPointFileName = "recovery-point-offset-checkpoint";
constexpr std::string_view kLogStartOffsetFileName = "log-start-offset-checkpoint";
constexpr std::string_view kCleanerOffsetFileName = "cleaner-offset-checkpoint";
constexpr int32_t kOffsetCheckpointVersion = 0;

void check(const std::error_code& ec, std::string_view what, const std::filesystem::path& path) {
  if (ec) throw StorageError(std::string(what) + " " + path.string() + ": " + ec.message());
}

// Reads "topic partition offset" entries; a missing file is empty.
std::map<TopicPartition, int64_t> read_offsets(const std::filesystem::path& path) {
  std::map<TopicPartition, int64_t> offsets;
  auto entries = read_checkpoint_file(path, kOffsetCheckpointVersion, 3);
  if (!entries) return offsets;
  for (const auto& fields : *entries) {
    int64_t partition = parse_checkpoint_number(fields[1], path);
    if (partition < 0 || partition > INT32_MAX) throw StorageError("malformed checkpoint " + path.string());
    offsets[{fields[0], static_cast<int32_t>(partition)}] = parse_checkpoint_number(fields[2], path);
  }
  return offsets;
}

void write_offsets(const std::filesystem::path& path, const std::map<TopicPartition, int64_t>& offsets) {
  std::vector<CheckpointEntry> entries;
  entries.reserve(offsets.size());
  for (const auto& [tp, offset] : offsets)
    entries.push_back({tp.topic, std::to_string(tp.partition), std::to_string(offset)});
  write_checkpoint_file(path, kOffsetCheckpointVersion, entries);
}
}  // namespace

std::unique_ptr<LogDirectory> LogDirectory::open(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  check(ec, "cannot create", dir);
  std::unique_ptr<LogDirectory> log_dir(new LogDirectory(dir));

  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (entry.is_directory() && name.ends_with(kDeleteDirSuffix)) {
      spdlog::info("finishing the deletion of {}", entry.path().string());
      std::filesystem::remove_all(entry.path(), ec);
      check(ec, "cannot remove", entry.path());
    } else if (name.ends_with(kTempFileSuffix)) {
      std::filesystem::remove(entry.path(), ec);
    }
  }
  check(ec, "cannot list", dir);

  auto marker = dir / kCleanShutdownFileName;
  log_dir->had_clean_shutdown_ = std::filesystem::exists(marker, ec);
  log_dir->read_checkpoints();
  if (log_dir->had_clean_shutdown_) {
    std::filesystem::remove(marker, ec);
    check(ec, "cannot remove", marker);
    sync_directory(dir);
  }
  return log_dir;
}

void LogDirectory::read_checkpoints() {
  recovery_points_ = read_offsets(dir_ / kRecoveryPointFileName);
  log_start_offsets_ = read_offsets(dir_ / kLogStartOffsetFileName);
  cleaner_offsets_ = read_offsets(dir_ / kCleanerOffsetFileName);
}

std::vector<TopicPartition> LogDirectory::partitions() const {
  std::vector<TopicPartition> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    if (!entry.is_directory()) continue;
    if (auto tp = TopicPartition::from_dir_name(entry.path().filename().string())) found.push_back(std::move(*tp));
  }
  check(ec, "cannot list", dir_);
  return found;
}

std::unique_ptr<PartitionLog> LogDirectory::open_partition(const TopicPartition& partition, const LogConfig& config,
                                                           protocol::Uuid topic_id) {
  StartupState state;
  {
    std::lock_guard lock(mutex_);
    auto dir = dir_ / partition.dir_name();
    if (!std::filesystem::exists(dir)) {
      // A new partition: entries left by an earlier topic of that name do not apply.
      recovery_points_.erase(partition);
      log_start_offsets_.erase(partition);
      cleaner_offsets_.erase(partition);
    }
    state.clean_shutdown = had_clean_shutdown_ && opened_.insert(partition).second;
    if (auto it = recovery_points_.find(partition); it != recovery_points_.end()) state.recovery_point = it->second;
    if (auto it = log_start_offsets_.find(partition); it != log_start_offsets_.end())
      state.log_start_offset = it->second;
    if (auto it = cleaner_offsets_.find(partition); it != cleaner_offsets_.end()) state.cleaner_offset = it->second;
  }
  return PartitionLog::open(dir_ / partition.dir_name(), config, topic_id, state);
}

void LogDirectory::delete_partition(const TopicPartition& partition, std::unique_ptr<PartitionLog> log) {
  log->delete_all();
  std::lock_guard lock(mutex_);
  bool known =
      recovery_points_.erase(partition) + log_start_offsets_.erase(partition) + cleaner_offsets_.erase(partition) > 0;
  if (known) write_checkpoints_locked();
}

void LogDirectory::write_checkpoints(std::span<const PartitionCheckpoint> checkpoints) {
  std::lock_guard lock(mutex_);
  for (const auto& c : checkpoints) {
    recovery_points_[c.partition] = c.recovery_point;
    log_start_offsets_[c.partition] = c.log_start_offset;
    if (c.cleaner_offset >= 0) cleaner_offsets_[c.partition] = c.cleaner_offset;
  }
  write_checkpoints_locked();
}

void LogDirectory::write_checkpoints_locked() {
  write_offsets(dir_ / kRecoveryPointFileName, recovery_points_);
  write_offsets(dir_ / kLogStartOffsetFileName, log_start_offsets_);
  if (!cleaner_offsets_.empty()) write_offsets(dir_ / kCleanerOffsetFileName, cleaner_offsets_);
  sync_directory(dir_);
}

void LogDirectory::mark_clean_shutdown() {
  std::lock_guard lock(mutex_);
  write_file_atomically(dir_ / kCleanShutdownFileName, "");
  sync_directory(dir_);
}

}  // namespace freshet::storage
