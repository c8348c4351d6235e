// KIP-590's forwarding: a broker that is not the active controller sends a
// client's admin request (CreateTopics, DeleteTopics, CreatePartitions,
// AlterConfigs, IncrementalAlterConfigs) as it came to the active controller
// over the controller channel, and hands the controller's answer back as the
// controller wrote it. (Kafka wraps it in an Envelope that carries the
// client's principal; until there are principals it goes bare.) A request
// that arrived on a controller listener is never forwarded again, so two
// nodes that disagree about the leader for a moment cannot pass one back
// and forth.
#pragma once

#include "server/request.h"

namespace freshet::server {

// True when the request went to the active controller (it is answered from
// there; no answer in time closes the client's connection, so it retries).
// False when this node is the active controller, none is known, or the
// request came through a controller listener: the caller handles it here
// (answering NOT_CONTROLLER where no controller leads).
bool forward_to_controller(const RequestPtr& request);

}  // namespace freshet::server
