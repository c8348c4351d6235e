#include "storage/log_directories.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <set>
#include <system_error>

#include "storage/storage_error.h"

namespace freshet::storage {

namespace fs = std::filesystem;

std::optional<size_t> next_log_dir(std::span<const std::optional<size_t>> partition_counts) {
  std::optional<size_t> best;
  for (size_t i = 0; i < partition_counts.size(); ++i) {
    if (!partition_counts[i]) continue;
    if (!best || *partition_counts[i] < *partition_counts[*best]) best = i;
  }
  return best;
}

namespace {
// LogDirectory::open, after Kafka's check that the dir is a readable,
// writable directory. Throws StorageError.
std::unique_ptr<LogDirectory> open_checked(const fs::path& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) throw StorageError(fmt::format("cannot create {}: {}", path.string(), ec.message()));
  if (!fs::is_directory(path, ec) || ::access(path.c_str(), R_OK | W_OK | X_OK) != 0)
    throw StorageError(fmt::format("{} is not a readable log directory", path.string()));
  return LogDirectory::open(path);
}

std::string joined(const std::vector<fs::path>& paths) {
  std::string text;
  for (const auto& path : paths) text += (text.empty() ? "" : ", ") + path.string();
  return text;
}

std::string canonical_name(const fs::path& path) {
  std::error_code ec;
  auto canonical = fs::weakly_canonical(fs::absolute(path), ec);
  return (ec ? fs::absolute(path).lexically_normal() : canonical).string();
}
}  // namespace

std::unique_ptr<LogDirectories> LogDirectories::open(const std::vector<fs::path>& paths, std::string foreign_topic) {
  std::set<std::string> names;
  for (const auto& path : paths)
    if (!names.insert(canonical_name(path)).second)
      throw StorageError(fmt::format("Duplicate log directory found: {}", joined(paths)));

  std::unique_ptr<LogDirectories> set(new LogDirectories());
  for (const auto& path : paths) {
    Dir dir{path, nullptr, ""};
    try {
      dir.dir = open_checked(path);
    } catch (const std::exception& e) {  // StorageError or std::filesystem_error
      dir.offline_reason = e.what();
      spdlog::error("log dir {} is offline: {}", path.string(), dir.offline_reason);
    }
    set->partition_counts_.push_back(dir.dir ? std::optional<size_t>(0) : std::nullopt);
    set->dirs_.push_back(std::move(dir));
  }
  if (set->online_paths().empty())
    throw StorageError(fmt::format("None of the specified log dirs from {} can be created or are readable",
                                   joined(paths)));

  for (size_t i = 0; i < set->dirs_.size(); ++i) {
    if (!set->dirs_[i].dir) continue;
    for (const auto& tp : set->dirs_[i].dir->partitions()) {
      if (tp.topic == foreign_topic) continue;
      if (auto it = set->located_.find(tp); it != set->located_.end())
        throw StorageError(fmt::format(
            "Duplicate log directories for {} are found in both {} and {}. Recover from this by deleting one "
            "of the two directories for this partition (keep the one holding the data you want)",
            tp.dir_name(), (set->dirs_[i].path / tp.dir_name()).string(),
            (set->dirs_[it->second].path / tp.dir_name()).string()));
      set->locate_locked(tp, i);
    }
  }
  return set;
}

void LogDirectories::locate_locked(const TopicPartition& partition, size_t index) {
  located_[partition] = index;
  ++*partition_counts_[index];
}

std::vector<fs::path> LogDirectories::online_paths() const {
  std::vector<fs::path> paths;
  for (const auto& d : dirs_)
    if (d.dir) paths.push_back(d.path);
  return paths;
}

bool LogDirectories::any_offline() const {
  for (const auto& d : dirs_)
    if (!d.dir) return true;
  return false;
}

std::vector<TopicPartition> LogDirectories::partitions() const {
  std::lock_guard lock(mutex_);
  std::vector<TopicPartition> found;
  found.reserve(located_.size());
  for (const auto& [tp, index] : located_) found.push_back(tp);
  return found;
}

std::optional<size_t> LogDirectories::index_of(const TopicPartition& partition) const {
  std::lock_guard lock(mutex_);
  auto it = located_.find(partition);
  return it == located_.end() ? std::nullopt : std::optional<size_t>(it->second);
}

std::unique_ptr<PartitionLog> LogDirectories::open_partition(const TopicPartition& partition, const LogConfig& config,
                                                             protocol::Uuid topic_id, bool is_new) {
  LogDirectory* dir = nullptr;
  {
    std::lock_guard lock(mutex_);
    if (auto it = located_.find(partition); it != located_.end()) {
      dir = dirs_[it->second].dir.get();
    } else {
      if (!is_new && any_offline()) {
        std::vector<fs::path> offline;
        for (const auto& d : dirs_)
          if (!d.dir) offline.push_back(d.path);
        throw StorageError(fmt::format("Can not create log for {} because log directories {} are offline",
                                       partition.dir_name(), joined(offline)));
      }
      size_t index = *next_log_dir(partition_counts_);  // open() guarantees an online dir
      locate_locked(partition, index);
      dir = dirs_[index].dir.get();
    }
  }
  return dir->open_partition(partition, config, topic_id);
}

void LogDirectories::delete_partition(const TopicPartition& partition, std::unique_ptr<PartitionLog> log) {
  LogDirectory* dir = nullptr;
  {
    std::lock_guard lock(mutex_);
    auto it = located_.find(partition);
    if (it == located_.end()) throw StorageError("deleting " + partition.dir_name() + ", which no log dir holds");
    dir = dirs_[it->second].dir.get();
    --*partition_counts_[it->second];
    located_.erase(it);
  }
  dir->delete_partition(partition, std::move(log));
}

void LogDirectories::write_checkpoints(std::span<const PartitionCheckpoint> checkpoints) {
  std::vector<std::vector<PartitionCheckpoint>> by_dir(dirs_.size());
  {
    std::lock_guard lock(mutex_);
    for (const auto& c : checkpoints)
      if (auto it = located_.find(c.partition); it != located_.end()) by_dir[it->second].push_back(c);
  }
  for (size_t i = 0; i < dirs_.size(); ++i)
    if (dirs_[i].dir) dirs_[i].dir->write_checkpoints(by_dir[i]);
}

void LogDirectories::mark_clean_shutdown() {
  for (const auto& d : dirs_)
    if (d.dir) d.dir->mark_clean_shutdown();
}

}  // namespace freshet::storage
