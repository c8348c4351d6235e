// The active controller's duties, on the control shard of every controller
// node, broker or not: every broker.heartbeat.interval.ms, fencing the
// brokers whose session timed out (broker.session.timeout.ms), unclean
// leader elections where topics allow them, and finalizing a new cluster's
// feature levels; and at once, fencing a broker
// whose heartbeats' connection closed. A broker process that dies has its
// connections closed by its host right away, so its partitions get new
// leaders within a heartbeat's round trip, not a session timeout; a live
// broker whose connection merely broke heartbeats again on a new one and
// is unfenced (fencing is never weaker for it).
#pragma once

#include <asio/steady_timer.hpp>

#include <cstdint>
#include <map>
#include <memory>

namespace freshet::server {

class Broker;

class ControllerDuties {
 public:
  explicit ControllerDuties(Broker& broker);
  // On the control shard, both.
  void start();
  void stop();
  // The registration of broker `broker_id` at `broker_epoch`, or a heartbeat
  // that kept it unfenced, came over connection `connection_id` of this node.
  void heard_from(int32_t broker_id, int64_t broker_epoch, uint64_t connection_id);
  // A connection of this node closed.
  void connection_closed(uint64_t connection_id);

 private:
  struct HeartbeatSource {
    int64_t broker_epoch;
    uint64_t connection_id;
  };
  void schedule();

  Broker& broker_;
  std::shared_ptr<asio::steady_timer> timer_;
  bool stopped_ = false;
  std::map<int32_t, HeartbeatSource> heartbeat_sources_;  // by broker id: at most one per registered broker
};

}  // namespace freshet::server
