// The metadata image's snapshots in the metadata log dir, as KRaft keeps
// them: `<end offset, 20 digits>-<epoch, 10 digits>.checkpoint`, record
// batches with offsets from 0 — a SnapshotHeader control batch, the records
// that rebuild the image from nothing, a SnapshotFooter control batch. A
// snapshot is written whole to `<name>.part` (taken here, or fetched from the
// leader chunk by chunk), synced, then renamed; a `.part` left by a crash is
// removed when the store opens. A dynamic quorum's snapshots also hold its
// voters (KRaftVersionRecord and VotersRecord control batches after the
// header); its bootstrap checkpoint, `00000000000000000000-0000000000`,
// holds only those: the voters before the log's first entry.
// Single-threaded: the metadata quorum's thread does all of it.
#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <vector>

#include "cluster/metadata_image.h"
#include "cluster/voter_records.h"
#include "raft/messages.h"

namespace freshet::cluster {

class SnapshotStore {
 public:
  explicit SnapshotStore(std::filesystem::path dir);

  // Every snapshot held, oldest first (the bootstrap checkpoint is none).
  std::vector<raft::SnapshotId> list() const;
  // Writes the snapshot of `records` (the image below id.end_offset), and
  // of `voters` when the quorum is dynamic, durably.
  void write(raft::SnapshotId id, const std::vector<MetadataRecord>& records,
             const std::optional<std::vector<QuorumVoter>>& voters, const std::string& listener, int64_t now_ms);
  // The bootstrap checkpoint of a dynamic quorum's first `voters`, durably.
  void write_bootstrap(const std::vector<QuorumVoter>& voters, const std::string& listener, int64_t now_ms);
  // The voters a snapshot holds (id {0, 0}: the bootstrap checkpoint);
  // nullopt when it holds none or is not there. Throws storage::StorageError
  // when it cannot be read.
  std::optional<std::vector<QuorumVoter>> read_voters(raft::SnapshotId id, const std::string& listener) const;
  // The records a snapshot holds. Throws storage::StorageError when it cannot
  // be read or is not a whole snapshot.
  std::vector<MetadataRecord> read_records(raft::SnapshotId id) const;
  // Its size, and whole batches of it from `position` (a batch boundary): at
  // most `max_bytes` of them but at least one. nullopt when the snapshot is
  // gone or `position` is not a batch boundary of it.
  std::optional<int64_t> size_bytes(raft::SnapshotId id) const;
  std::optional<std::vector<uint8_t>> read_chunk(raft::SnapshotId id, int64_t position, int32_t max_bytes) const;

  // A snapshot being fetched: `bytes` belong at `position` (0 starts it
  // over); complete() syncs and renames it once it is whole.
  void write_chunk(raft::SnapshotId id, int64_t position, std::span<const uint8_t> bytes);
  void complete(raft::SnapshotId id);
  // Removes the snapshots that end before `end_offset`, durably.
  void remove_before(int64_t end_offset);

 private:
  std::filesystem::path path_of(raft::SnapshotId id) const;
  std::vector<uint8_t> read_file(raft::SnapshotId id) const;

  std::filesystem::path dir_;
};

// Whether fetched snapshot bytes are whole, valid batches: a chunk at
// position 0 opens with the SnapshotHeader, the last chunk (`last`) ends with
// the SnapshotFooter. What fails is never written (to the core, that answer
// was lost).
bool valid_snapshot_chunk(std::span<const uint8_t> bytes, bool first, bool last);

}  // namespace freshet::cluster
