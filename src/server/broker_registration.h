// This node joining its cluster as a broker (BrokerRegistration): with its
// own controller when it leads the quorum, else with the active controller
// over the controller channel, again every 100 ms until one accepts. The registration names the broker's client listeners
// (never the controller's) and rack, and a fresh incarnation id per process.
#pragma once

#include <functional>

#include "cluster/controller.h"
#include "protocol/messages.h"

namespace freshet::server {

class Broker;

// On shard 0; done(broker epoch) on shard 0 once registered.
void register_broker(Broker& broker, std::function<void(int64_t)> done);

// The registration a BrokerRegistration request asks for.
cluster::BrokerRegistration registration_of(const protocol::BrokerRegistrationRequest& request);

}  // namespace freshet::server
