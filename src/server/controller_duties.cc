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
    controller.elect_unclean_leaders();
    controller.finalize_features();
    schedule();
  });
}

void ControllerDuties::heard_from(int32_t broker_id, int64_t broker_epoch, uint64_t connection_id) {
  heartbeat_sources_[broker_id] = {broker_epoch, connection_id};
}

void ControllerDuties::connection_closed(uint64_t connection_id) {
  if (stopped_) return;
  for (auto it = heartbeat_sources_.begin(); it != heartbeat_sources_.end();) {
    if (it->second.connection_id != connection_id) {
      ++it;
      continue;
    }
    broker_.controller().fence_lost_broker(it->first, it->second.broker_epoch);
    it = heartbeat_sources_.erase(it);
  }
}

}  // namespace freshet::server
