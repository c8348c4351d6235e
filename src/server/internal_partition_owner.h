// Which partitions of one internal topic (__consumer_offsets,
// __transaction_state) a shard's coordinator owns (those this broker leads),
// and their loading:
// reconcile() compares the metadata image with what the shard owns, has the
// coordinator begin loading each new partition and unload each one gone (a
// partition whose log is not open on the shard is not owned). A
// new partition's log is read from its start in chunks of the topic's load
// buffer size (offsets.load.buffer.size, ...), yielding to other work on the
// shard between chunks; every batch up to the log end, control batches
// included, goes to the coordinator, then it finishes loading. A reload or
// unload stops a load in progress. Shard thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>

#include "cluster/metadata_image.h"
#include "protocol/record_batch.h"

namespace freshet::server {

class Broker;
class Partition;

class InternalPartitionOwner {
 public:
  // The coordinator's side. Every hook runs on the shard.
  struct Hooks {
    std::function<void(const cluster::PartitionInfo& partition)> begin_loading;
    std::function<void(int32_t partition, std::span<const uint8_t> batch, const protocol::RecordBatchHeader& header)>
        replay_batch;
    std::function<void(int32_t partition)> finish_loading;
    std::function<void(int32_t partition)> unload;
    // Records the coordinator skipped so far (reported once per load).
    std::function<int64_t()> skipped_records;
    // After the coordinator's state changed (its deadlines may have).
    std::function<void()> changed;
  };

  // `what` names the coordinator in log lines ("group coordinator");
  // `load_buffer_key` is the broker config key of the chunk size.
  InternalPartitionOwner(Broker& broker, unsigned shard, std::string topic, std::string what,
                         std::string load_buffer_key, Hooks hooks);

  void reconcile(const cluster::MetadataImage& image);
  // Forgets every partition (shutdown): loads in progress stop.
  void stop() { owned_.clear(); }
  // The owned partition's log on this shard, or nullptr.
  std::shared_ptr<Partition> find(int32_t partition) const;

 private:
  void start_loading(int32_t partition, uint64_t load_id);
  void load_chunk(int32_t partition, uint64_t load_id, std::shared_ptr<Partition> log, int64_t offset);
  bool still_loading(int32_t partition, uint64_t load_id) const;
  void finish(int32_t partition);

  Broker& broker_;
  unsigned shard_;
  std::string topic_;
  std::string what_;
  std::string load_buffer_key_;
  Hooks hooks_;
  std::map<int32_t, uint64_t> owned_;  // owned partitions -> the id of their current load
  uint64_t next_load_id_ = 1;
  int64_t skipped_reported_ = 0;
};

}  // namespace freshet::server
