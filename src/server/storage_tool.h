// `freshet storage`, Kafka's kafka-storage.sh for a node's dirs:
// `random-uuid` makes a cluster id, `format` writes each log dir's (and the
// metadata dir's) meta.properties for that cluster and this node before the
// first start. A single node needs neither: an unformatted dir is claimed at
// start with a fresh cluster id. A controller of a dynamic quorum
// (controller.quorum.bootstrap.servers, KIP-853) is formatted with its
// quorum's first voters: itself alone (`--standalone`), a list
// (`--initial-controllers`), or none, to be added later
// (`--no-initial-controllers`); they go into the bootstrap checkpoint of its
// metadata log.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cluster/broker_config.h"

namespace freshet::server {

struct InitialControllers {
  bool standalone = false;                 // --standalone
  std::optional<std::string> listed;       // --initial-controllers id@host:port:directory-id,...
  bool none = false;                       // --no-initial-controllers
};

// Writes meta.properties (cluster.id, node.id, a new directory.id; for the
// metadata dir of a listed initial controller, its listed one) into every
// dir of `config` (log.dirs, metadata.log.dir), creating them, and the
// bootstrap checkpoint of a dynamic quorum's first voters. A dir already
// formatted is an error, or skipped with `ignore_formatted` (every dir
// formatted already is an error still, as Kafka's tool has it). Returns a
// line per dir formatted. Throws std::runtime_error with Kafka's messages.
std::vector<std::string> format_storage(const cluster::BrokerConfig& config, const std::string& cluster_id,
                                        bool ignore_formatted, const InitialControllers& initial = {});

}  // namespace freshet::server
