// The metadata log (`__cluster_metadata-0` in the log dir): metadata records,
// one RecordBatch per controller decision, in the same partition-log format as
// any topic. Replayed into the image at start; every append is fsynced before
// it returns, so an image is never published ahead of the disk.
#pragma once

#include <filesystem>
#include <memory>
#include <vector>

#include "cluster/metadata_image.h"
#include "storage/partition_log.h"

namespace freshet::cluster {

class MetadataLog {
 public:
  // Opens (or creates) the log in `dir`, validating every batch, and applies
  // each record to `image`. Throws storage::StorageError or DecodeError when
  // the log cannot be read.
  static std::unique_ptr<MetadataLog> open(const std::filesystem::path& dir, MetadataImage& image);

  // Appends the records as one batch and syncs it. Blocking: metadata changes
  // are rare (topic admin), so the controller shard takes the fdatasync.
  void append(const std::vector<MetadataRecord>& records);
  void close();

 private:
  explicit MetadataLog(std::unique_ptr<storage::PartitionLog> log) : log_(std::move(log)) {}
  void replay(MetadataImage& image);

  std::unique_ptr<storage::PartitionLog> log_;
};

}  // namespace freshet::cluster
