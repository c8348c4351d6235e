// Controller::register_broker, heartbeat and fence_silent_brokers: Kafka's
// ClusterControlManager and BrokerHeartbeatManager. A broker is live from
// its registration (it registers only once caught up) for as long as it
// heartbeats; silent for broker.session.timeout.ms, or asking to shut down,
// it is fenced (FenceBrokerRecord); its next heartbeat unfences it. Each of
// these moves partition leadership as controller_partitions.cc says.
#include <spdlog/spdlog.h>

#include "cluster/controller.h"

namespace freshet::cluster {

using protocol::ErrorCode;

RegistrationResult Controller::register_broker(const BrokerRegistration& registration, int64_t now_ms) {
  RAFT_ASSERT(!batch_);  // proposed first in its batch, at the log end
  BrokerInfo broker;
  broker.id = registration.broker_id;
  broker.incarnation = registration.incarnation;
  broker.epoch = quorum_.log_end_offset();  // the offset this record gets
  broker.endpoints = registration.endpoints;
  broker.rack = registration.rack;
  broker.fenced = false;
  const protocol::RegisterBrokerRecord record = registration_record(broker);
  const int64_t epoch = record.broker_epoch;
  // A restarted broker's partitions start new leader epochs: what it led
  // goes to another in-sync replica, or back to it where it is the last one
  // (Kafka's handling of an unclean shutdown), as if it had been fenced and
  // unfenced. Its registration comes first: its offset is the epoch.
  begin_batch();
  ErrorCode error = commit({record}).error;
  if (error == ErrorCode::None) {
    commit(leadership_after_fence(registration.broker_id));
    commit(leadership_after_unfence(registration.broker_id));
  }
  if (const ErrorCode proposed = end_batch().error; error == ErrorCode::None) error = proposed;
  if (error != ErrorCode::None) return {error};
  last_heartbeat_ms_[registration.broker_id] = now_ms;
  spdlog::info("registering broker {} at epoch {}", registration.broker_id, epoch);
  return {ErrorCode::None, epoch};
}

HeartbeatResult Controller::heartbeat(const BrokerHeartbeat& heartbeat, int64_t now_ms) {
  // Not knowing all registrations yet, it could not tell a stale epoch.
  if (!quorum_.active()) return {ErrorCode::NotController};
  const BrokerInfo* broker = latest_->broker(heartbeat.broker_id);
  if (!broker) return {ErrorCode::BrokerIdNotRegistered};
  if (broker->epoch != heartbeat.broker_epoch) return {ErrorCode::StaleBrokerEpoch};
  last_heartbeat_ms_[heartbeat.broker_id] = now_ms;
  if (heartbeat.want_shutdown) {
    if (!broker->fenced) {
      if (auto error = set_fenced(heartbeat.broker_id, heartbeat.broker_epoch, true); error != ErrorCode::None)
        return {error};
      spdlog::info("fencing broker {}: it is shutting down", heartbeat.broker_id);
    }
    return {ErrorCode::None, true, true};
  }
  if (broker->fenced) {
    if (auto error = set_fenced(heartbeat.broker_id, heartbeat.broker_epoch, false); error != ErrorCode::None)
      return {error};
    spdlog::info("unfencing broker {}: it heartbeats again", heartbeat.broker_id);
  }
  return {ErrorCode::None, false, false};
}

void Controller::fence_lost_broker(int32_t broker_id, int64_t broker_epoch) {
  if (!quorum_.active()) return;
  const BrokerInfo* broker = latest_->broker(broker_id);
  if (!broker || broker->fenced || broker->epoch != broker_epoch) return;
  spdlog::warn("fencing broker {}: the connection its heartbeats came over closed", broker_id);
  set_fenced(broker_id, broker_epoch, true);
}

void Controller::fence_silent_brokers(int64_t now_ms, int64_t session_timeout_ms) {
  if (!quorum_.active()) return;
  begin_batch();
  for (int32_t id : latest_->live_brokers()) {
    // A broker this controller has not heard from yet (it was just elected)
    // gets a full session from now.
    auto [it, fresh] = last_heartbeat_ms_.try_emplace(id, now_ms);
    if (fresh || now_ms - it->second < session_timeout_ms) continue;
    spdlog::warn("fencing broker {}: no heartbeat for {} ms (broker.session.timeout.ms={})", id, now_ms - it->second,
                 session_timeout_ms);
    set_fenced(id, latest_->broker(id)->epoch, true);
  }
  end_batch();
}

}  // namespace freshet::cluster
