// The active controller's periodic duties, on the control shard of every
// controller node, broker or not: fencing the brokers whose session timed
// out (broker.session.timeout.ms) and finalizing a new cluster's feature
// levels; every broker.heartbeat.interval.ms.
#pragma once

#include <asio/steady_timer.hpp>

#include <memory>

namespace freshet::server {

class Broker;

class ControllerDuties {
 public:
  explicit ControllerDuties(Broker& broker);
  // On the control shard, both.
  void start();
  void stop();

 private:
  void schedule();

  Broker& broker_;
  std::shared_ptr<asio::steady_timer> timer_;
  bool stopped_ = false;
};

}  // namespace freshet::server
