// The `quorum-state` file beside the metadata log: the epoch, its leader
// and this node's vote, as KRaft keeps them (JSON, data_version 1). Raft's
// promises rest on it: a vote or an epoch persisted here is never forgotten,
// so it is replaced atomically and synced before any message leaves.
#pragma once

#include <filesystem>

#include "raft/raft_core.h"

namespace freshet::cluster {

class QuorumStateFile {
 public:
  explicit QuorumStateFile(std::filesystem::path path) : path_(std::move(path)) {}

  // The persisted state; all defaults when the file does not exist yet.
  // Throws storage::StorageError for a file that cannot be read or parsed.
  raft::QuorumState load() const;
  // Replaces the file durably (atomic rename, directory synced).
  void save(const raft::QuorumState& state) const;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace freshet::cluster
