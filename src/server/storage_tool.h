// `freshet storage`, Kafka's kafka-storage.sh for a node's dirs:
// `random-uuid` makes a cluster id, `format` writes each log dir's (and the
// metadata dir's) meta.properties for that cluster and this node before the
// first start. A single node needs neither: an unformatted dir is claimed at
// start with a fresh cluster id.
#pragma once

#include <string>
#include <vector>

#include "cluster/broker_config.h"

namespace freshet::server {

// Writes meta.properties (cluster.id, node.id, a new directory.id) into every
// dir of `config` (log.dirs, metadata.log.dir), creating them. A dir already
// formatted is an error, or skipped with `ignore_formatted` (every dir
// formatted already is an error still, as Kafka's tool has it). Returns a
// line per dir formatted. Throws std::runtime_error with Kafka's messages.
std::vector<std::string> format_storage(const cluster::BrokerConfig& config, const std::string& cluster_id,
                                        bool ignore_formatted);

}  // namespace freshet::server
