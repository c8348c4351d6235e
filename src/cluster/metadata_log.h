// The metadata log (`__cluster_metadata-0` in the metadata log dir): the
// Raft log of the controller quorum, in the partition-log format of any
// topic. Each entry is a record batch whose partition leader epoch is the
// Raft epoch that wrote it: metadata records, one batch per controller
// decision, or a control batch (LeaderChangeMessage). Offsets are record
// offsets, so an entry of the Raft core is one record offset and a batch
// spans as many as it holds records.
// Single-threaded: the metadata quorum's thread does all of it.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "cluster/metadata_image.h"
#include "protocol/wire.h"
#include "storage/partition_log.h"

namespace freshet::cluster {

class MetadataLog {
 public:
  // Opens (or creates) the log in `dir`, validating every batch. Throws
  // storage::StorageError or protocol::DecodeError when it cannot be read.
  static std::unique_ptr<MetadataLog> open(const std::filesystem::path& dir);

  // The epoch of every offset in the log, for the Raft core (batches written
  // before the log was Raft's carry epoch 0).
  std::vector<int32_t> offset_epochs();
  int64_t end_offset() const { return log_->log_end_offset(); }

  // Appends one batch as the leader of `epoch`, at the log end.
  void append_as_leader(std::span<uint8_t> batch, int32_t epoch);
  // Appends batches fetched from the leader (offsets and epochs as they are),
  // the first at the log end; returns the new log end.
  int64_t append_fetched(std::span<const uint8_t> batches);
  // Drops every offset from `offset` on (a follower's divergent tail).
  void truncate_to(int64_t offset);
  // Makes everything written durable. Throws storage::StorageError.
  void sync();

  // Whole batches from `offset` (a batch boundary), at most `max_bytes` of
  // them but at least one; empty at the log end.
  protocol::Records read(int64_t offset, int32_t max_bytes);
  // Calls `apply` with the metadata records of each batch in [from, to)
  // (both batch boundaries) and the offset after that batch; control batches
  // and records of types this version does not know are skipped.
  void for_each_batch(int64_t from, int64_t to,
                      const std::function<void(const std::vector<MetadataRecord>&, int64_t next_offset)>& apply);
  void close();

 private:
  explicit MetadataLog(std::unique_ptr<storage::PartitionLog> log) : log_(std::move(log)) {}

  std::unique_ptr<storage::PartitionLog> log_;
};

// One controller decision as a batch to append (offsets and epoch set by the log).
std::vector<uint8_t> build_metadata_batch(const std::vector<MetadataRecord>& records, int64_t now_ms);
// The control batch a new leader writes first in its epoch (KRaft's
// LeaderChangeMessage: the leader and the voters).
std::vector<uint8_t> build_leader_change_batch(int32_t leader, const std::vector<int32_t>& voters, int64_t now_ms);

}  // namespace freshet::cluster
