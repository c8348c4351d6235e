// The ISR changes the partitions this shard leads ask the controller for
// (AlterPartition, Kafka's AlterPartitionManager): checked after every
// follower fetch (a follower that caught up joins) and every
// replica.lag.time.max.ms / 2 (a follower lagging longer leaves). At most
// one request per partition is out; it goes from the control shard to the
// active controller, and the answer comes back to the partition here. A lost
// answer is sent again shortly after.
// Shard thread only.
#pragma once

#include <asio/steady_timer.hpp>

#include <memory>

#include "server/partition.h"

namespace freshet::server {

class Broker;

class IsrUpdates {
 public:
  IsrUpdates(Broker& broker, unsigned shard);

  // Starts the periodic check (once the shard's partitions are open).
  void start();
  void stop();
  // Sends the partition's due ISR change, if any.
  void check(const protocol::Uuid& topic_id, const std::shared_ptr<Partition>& partition);

 private:
  void schedule_check_all();
  void send(const protocol::Uuid& topic_id, const std::shared_ptr<Partition>& partition, std::vector<int32_t> isr);
  void retry_later(const protocol::Uuid& topic_id, std::weak_ptr<Partition> partition);

  Broker& broker_;
  unsigned shard_;
  std::shared_ptr<asio::steady_timer> timer_;
  bool stopped_ = false;
};

}  // namespace freshet::server
