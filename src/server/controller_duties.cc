#include "server/controller_duties.h"

#include <chrono>

#include "cluster/clock.h"
#include "server/broker.h"

namespace freshet::server {

ControllerDuties::ControllerDuties(Broker& broker)
    : broker_(broker),
      timer_(std::make_shared<asio::steady_timer>(broker.shards().context(broker.shards().control_shard()))) {}

void ControllerDuties::start() { schedule(); }

void ControllerDuties::stop() {
  stopped_ = true;
  timer_->cancel();
}

void ControllerDuties::schedule() {
  timer_->expires_after(std::chrono::milliseconds(broker_.config().get_int("broker.heartbeat.interval.ms")));
  timer_->async_wait([this, timer = timer_](asio::error_code ec) {
    if (ec || stopped_) return;
    cluster::Controller& controller = broker_.controller();  // each duty writes only while active
    controller.fence_silent_brokers(cluster::monotonic_ms(), broker_.config().get_int("broker.session.timeout.ms"));
    controller.finalize_features();
    schedule();
  });
}

}  // namespace freshet::server
