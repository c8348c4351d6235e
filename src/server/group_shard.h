// One shard's share of the group coordinator: the GroupCoordinator for the
// __consumer_offsets partitions this shard owns, the store that appends its
// records to those partitions, the loading of a partition's records when the
// shard takes it over, and the one timer that drives the coordinator's
// timeouts. Every method runs on the shard's thread.
#pragma once

#include <map>
#include <memory>
#include <optional>

#include "cluster/metadata_image.h"
#include "coordinator/group_coordinator.h"
#include "protocol/record_batch.h"
#include "server/coordinator_timer.h"
#include "server/internal_partition_owner.h"

namespace freshet::server {

class Broker;

class GroupShard {
 public:
  GroupShard(Broker& broker, unsigned shard);
  ~GroupShard();

  coordinator::GroupCoordinator& coordinator() { return *coordinator_; }

  // Starts loading the __consumer_offsets partitions this shard owns in
  // `image` and has not loaded yet (in chunks, between other work); unloads
  // those it no longer owns.
  void reconcile(const cluster::MetadataImage& image);
  // Re-arms the timer at the coordinator's next deadline. Call after every
  // coordinator call that may have changed its deadlines.
  void rearm();
  // Cancels the timer (shutdown).
  void stop();

 private:
  class Store;
  void replay_batch(int32_t partition, std::span<const uint8_t> batch, const protocol::RecordBatchHeader& header);

  Broker& broker_;
  unsigned shard_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<coordinator::GroupCoordinator> coordinator_;
  CoordinatorTimer timer_;
  InternalPartitionOwner ownership_;  // of __consumer_offsets partitions
};

}  // namespace freshet::server
