#include "server/broker_membership.h"

#include <asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "cluster/clock.h"
#include "server/broker.h"
#include "server/controller_calls.h"

namespace freshet::server {

namespace {
constexpr auto kRetryBackoff = std::chrono::milliseconds(100);

protocol::BrokerRegistrationRequest registration_request(Broker& broker) {
  protocol::BrokerRegistrationRequest request;
  request.broker_id = broker.node_id();
  request.cluster_id = broker.cluster_id();
  request.incarnation_id = broker.incarnation_id();
  // Every client listener at the address it advertises (advertised.listeners, else its own).
  for (const auto& own : broker.config().listeners()) {
    if (broker.config().is_controller_listener(own.name)) continue;
    const auto l = broker.config().advertised_listener(own.name);
    protocol::BrokerRegistrationRequest::Listener listener;
    listener.name = own.name;
    listener.host = l.host;
    listener.port = l.port;
    request.listeners.push_back(std::move(listener));
  }
  const std::string& rack = broker.config().get("broker.rack");
  if (!rack.empty()) request.rack = rack;
  return request;
}

void retry_later(Broker& broker, std::function<void(int64_t)> done) {
  auto timer = std::make_shared<asio::steady_timer>(broker.shards().context(broker.shards().control_shard()), kRetryBackoff);
  timer->async_wait([&broker, timer, done = std::move(done)](asio::error_code ec) mutable {
    if (!ec) register_broker(broker, std::move(done));
  });
}
}  // namespace

cluster::BrokerRegistration registration_of(const protocol::BrokerRegistrationRequest& request) {
  cluster::BrokerRegistration registration;
  registration.broker_id = request.broker_id;
  registration.incarnation = request.incarnation_id;
  for (const auto& l : request.listeners) registration.endpoints.push_back({l.name, l.host, l.port});
  registration.rack = request.rack;
  return registration;
}

void register_broker(Broker& broker, std::function<void(int64_t)> done) {
  const auto request = registration_request(broker);
  on_active_controller<cluster::RegistrationResult, protocol::BrokerRegistrationResponse>(
      broker, [request](cluster::Controller& c) { return c.register_broker(registration_of(request), cluster::monotonic_ms()); }, request,
      [](const protocol::BrokerRegistrationResponse& r) {
        return cluster::RegistrationResult{static_cast<protocol::ErrorCode>(r.error_code), r.broker_epoch};
      },
      cluster::RegistrationResult{protocol::ErrorCode::NotController},
      [&broker, done = std::move(done)](cluster::RegistrationResult result) mutable {
        if (result.error != protocol::ErrorCode::None) {
          spdlog::debug("broker registration not accepted yet: error {}", protocol::code(result.error));
          return retry_later(broker, std::move(done));
        }
        done(result.broker_epoch);
      });
}

namespace {
cluster::HeartbeatResult heartbeat_result(const protocol::BrokerHeartbeatResponse& r) {
  return {static_cast<protocol::ErrorCode>(r.error_code), r.is_fenced, r.should_shut_down};
}

void send_heartbeat(Broker& broker, int64_t epoch, bool want_shutdown, std::function<void(cluster::HeartbeatResult)> done) {
  protocol::BrokerHeartbeatRequest request;
  request.broker_id = broker.node_id();
  request.broker_epoch = epoch;
  request.current_metadata_offset = broker.quorum().applied_offset();
  request.want_shut_down = want_shutdown;
  cluster::BrokerHeartbeat heartbeat{broker.node_id(), epoch, want_shutdown};
  on_active_controller<cluster::HeartbeatResult, protocol::BrokerHeartbeatResponse>(
      broker, [heartbeat](cluster::Controller& c) { return c.heartbeat(heartbeat, cluster::monotonic_ms()); }, request,
      heartbeat_result, cluster::HeartbeatResult{protocol::ErrorCode::NotController}, std::move(done));
}
}  // namespace

BrokerHeartbeats::BrokerHeartbeats(Broker& broker, int64_t broker_epoch)
    : broker_(broker), broker_epoch_(broker_epoch), timer_(std::make_shared<asio::steady_timer>(broker.shards().context(broker.shards().control_shard()))) {}

void BrokerHeartbeats::schedule() {
  timer_->expires_after(std::chrono::milliseconds(broker_.config().get_int("broker.heartbeat.interval.ms")));
  timer_->async_wait([this, timer = timer_](asio::error_code ec) {
    if (ec || stopped_) return;
    beat();
    schedule();
  });
}

void BrokerHeartbeats::beat() {
  if (in_flight_) return;  // one heartbeat at a time
  in_flight_ = true;
  send_heartbeat(broker_, broker_epoch_, false, [this](cluster::HeartbeatResult result) {
    in_flight_ = false;
    if (result.error == protocol::ErrorCode::StaleBrokerEpoch || result.error == protocol::ErrorCode::BrokerIdNotRegistered)
      spdlog::error("broker heartbeat refused ({}): this broker's registration at epoch {} is no longer the controller's",
                    protocol::code(result.error), broker_epoch_);
  });
}

void BrokerHeartbeats::shut_down(std::function<void()> done) {
  stopped_ = true;
  timer_->cancel();
  send_heartbeat(broker_, broker_epoch_, true, [done = std::move(done)](cluster::HeartbeatResult) { done(); });
}

}  // namespace freshet::server
