// This node's membership of its cluster as a broker. It registers
// (BrokerRegistration) with the active controller (its own when it leads the
// quorum, else over the controller channel), again every 100 ms until one
// accepts; the registration names the broker's client listeners (never the
// controller's) and rack, and a fresh incarnation id per process. Then it
// heartbeats (BrokerHeartbeat) every broker.heartbeat.interval.ms to keep
// its session, and at a clean shutdown asks to be fenced first (Kafka's
// controlled shutdown). On the active controller the same timer fences the
// brokers that went silent.
#pragma once

#include <asio/steady_timer.hpp>

#include <functional>
#include <memory>

#include "cluster/controller.h"
#include "protocol/messages.h"

namespace freshet::server {

class Broker;

// On the control shard; done(broker epoch) on the control shard once registered.
void register_broker(Broker& broker, std::function<void(int64_t)> done);

// Heartbeats for a registered broker, on the control shard.
class BrokerHeartbeats {
 public:
  BrokerHeartbeats(Broker& broker, int64_t broker_epoch);
  void start() { schedule(); }
  // Asks the controller to fence this broker; done() once it answered or
  // gave up (no controller, or the request timed out). Stops the timer.
  void shut_down(std::function<void()> done);

 private:
  void schedule();
  void beat();

  Broker& broker_;
  int64_t broker_epoch_;
  std::shared_ptr<asio::steady_timer> timer_;
  bool in_flight_ = false;
  bool stopped_ = false;
};

// The registration a BrokerRegistration request asks for.
cluster::BrokerRegistration registration_of(const protocol::BrokerRegistrationRequest& request);

}  // namespace freshet::server
