// One shard's share of the transaction coordinator: the
// TransactionCoordinator for the __transaction_state partitions this shard
// owns, and the broker's side of its ports: the store appending its records
// to those partitions, producer ids from the ProducerIdManager, and the
// marker writer that appends end-transaction markers to the data partitions
// on their owner shards (and tells the group coordinator when a marker lands
// on __consumer_offsets). Also loads a partition's records when the shard
// takes it over, and runs the coordinator's timer. Shard thread only.
#pragma once

#include <memory>

#include "cluster/metadata_image.h"
#include "coordinator/transaction_coordinator.h"
#include "protocol/record_batch.h"
#include "server/coordinator_timer.h"
#include "server/internal_partition_owner.h"

namespace freshet::server {

class Broker;

class TransactionShard {
 public:
  TransactionShard(Broker& broker, unsigned shard);
  ~TransactionShard();

  coordinator::TransactionCoordinator& coordinator() { return *coordinator_; }

  // Starts loading the __transaction_state partitions this shard owns in
  // `image` and has not loaded yet; unloads those it no longer owns.
  void reconcile(const cluster::MetadataImage& image);
  // Re-arms the timer at the coordinator's next deadline; call after every
  // coordinator call.
  void rearm() { timer_.rearm(); }
  void stop();

 private:
  class Store;
  class ProducerIds;
  class Markers;
  void replay_batch(int32_t partition, std::span<const uint8_t> batch, const protocol::RecordBatchHeader& header);

  Broker& broker_;
  unsigned shard_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<ProducerIds> producer_ids_;
  std::unique_ptr<Markers> markers_;
  std::unique_ptr<coordinator::TransactionCoordinator> coordinator_;
  CoordinatorTimer timer_;
  InternalPartitionOwner ownership_;  // of __transaction_state partitions
};

// The transaction.* settings the coordinator obeys.
coordinator::TransactionConfig transaction_config(const cluster::BrokerConfig& config);

}  // namespace freshet::server
