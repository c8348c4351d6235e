// The metadata image's snapshots in the metadata log dir, as KRaft keeps
// them: `<end offset, 20 digits>-<epoch, 10 digits>.checkpoint`, record
// batches with offsets from 0 — a SnapshotHeader control batch, the records
// that rebuild the image from nothing, a SnapshotFooter control batch. A
// snapshot is written whole to `<name>.part` (taken here, or fetched from the
// leader chunk by chunk), synced, then renamed; a `.part` left by a crash is
// removed when the store opens.
// Single-threaded: the metadata quorum's thread does all of it.
#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <vector>

#include "cluster/metadata_image.h"
#include "raft/messages.h"

namespace freshet::cluster {

class SnapshotStore {
 public:
  explicit SnapshotStore(std::filesystem::path dir);

  // Every snapshot held, oldest first.
  std::vector<raft::SnapshotId> list() const;
  // Writes the snapshot of `records` (the image below id.end_offset), durably.
  void write(raft::SnapshotId id, const std::vector<MetadataRecord>& records, int64_t now_ms);
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
