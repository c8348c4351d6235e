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
#include "cluster/voter_records.h"
#include "protocol/control_record.h"
#include "protocol/record_batch_builder.h"
#include "protocol/wire.h"
#include "storage/partition_log.h"

namespace freshet::cluster {

// The most bytes one metadata batch's records may take uncompressed (more is a corrupt log).
constexpr size_t kMaxMetadataBatchBytes = 64 << 20;

class MetadataLog {
 public:
  // Opens (or creates) the log in `dir`, starting at `start_offset` (a
  // snapshot's end; at least the first offset it holds), validating every
  // batch. Throws storage::StorageError or protocol::DecodeError when it
  // cannot be read.
  static std::unique_ptr<MetadataLog> open(const std::filesystem::path& dir, int64_t start_offset);

  // The epoch of every offset from the log start on, for the Raft core
  // (batches written before the log was Raft's carry epoch 0).
  std::vector<int32_t> offset_epochs();
  int64_t start_offset() const { return log_->log_start_offset(); }
  int64_t end_offset() const { return log_->log_end_offset(); }

  // Appends one batch as the leader of `epoch`, at the log end.
  void append_as_leader(std::span<uint8_t> batch, int32_t epoch);
  // Appends batches fetched from the leader (offsets and epochs as they are),
  // the first at the log end; returns the new log end.
  int64_t append_fetched(std::span<const uint8_t> batches);
  // Drops every offset from `offset` on (a follower's divergent tail).
  void truncate_to(int64_t offset);
  // Drops every offset and restarts empty at `offset` (a fetched snapshot's end).
  void truncate_fully_and_start_at(int64_t offset);
  // The log starts at `offset` (a snapshot's end): the segments wholly below
  // it are removed.
  void advance_start(int64_t offset);
  // Makes everything written durable. Throws storage::StorageError.
  void sync();

  // Whole batches from `offset` (a batch boundary), at most `max_bytes` of
  // them but at least one; empty at the log end.
  protocol::Records read(int64_t offset, int32_t max_bytes);
  // Calls `apply` with the metadata records of each batch in [from, to)
  // (both batch boundaries), the offset after that batch and the batch's
  // size; control batches and records of types this version does not know
  // are skipped.
  void for_each_batch(
      int64_t from, int64_t to,
      const std::function<void(const std::vector<MetadataRecord>&, int64_t next_offset, size_t batch_bytes)>& apply);
  // The VotersRecords from `from` on (a dynamic quorum's voter changes),
  // each voter reached on `listener`. Throws protocol::DecodeError.
  VoterEndpointChanges voters_records(int64_t from, const std::string& listener);
  void close();

 private:
  explicit MetadataLog(std::unique_ptr<storage::PartitionLog> log) : log_(std::move(log)) {}

  std::unique_ptr<storage::PartitionLog> log_;
};

// One controller decision as a batch to append (offsets and epoch set by the log).
std::vector<uint8_t> build_metadata_batch(std::span<const MetadataRecord> records, int64_t now_ms);
// A control batch of one record of `type` whose value is `message` (version 0).
template <typename Message>
std::vector<uint8_t> build_control_batch(protocol::ControlRecordType type, const Message& message, int64_t now_ms) {
  protocol::Writer writer;
  message.encode(writer, 0);
  const std::vector<uint8_t> value = writer.take();
  protocol::RecordBatchOptions options;
  options.control = true;
  protocol::RecordBatchBuilder builder(options);
  auto key = protocol::control_record_key(type);
  builder.append(now_ms, std::span<const uint8_t>(key), std::span<const uint8_t>(value));
  return builder.build();
}
// The control batch a new leader writes first in its epoch (KRaft's
// LeaderChangeMessage: the leader and the voters).
std::vector<uint8_t> build_leader_change_batch(int32_t leader, const std::vector<int32_t>& voters, int64_t now_ms);

}  // namespace freshet::cluster
