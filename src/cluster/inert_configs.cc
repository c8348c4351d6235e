#include "cluster/inert_configs.h"

namespace freshet::cluster {

namespace {
constexpr const char* kThreads = "Freshet runs one reactor thread per shard (--smp) for network and disk work";
constexpr const char* kReplication = "replication throttles are not built yet";

struct InertKey {
  std::string_view name;
  const char* reason;
};

constexpr InertKey kInertKeys[] = {
    // Broker keys.
    {"num.network.threads", kThreads},
    {"num.io.threads", kThreads},
    {"num.recovery.threads.per.data.dir", "every shard recovers its own partitions in parallel at start"},
    {"offsets.commit.timeout.ms", "an offset commit is answered once fsynced, without a timeout"},
    // Topic keys.
    {"segment.jitter.ms", "segments roll at segment.ms exactly"},
    {"local.retention.bytes", "tiered storage is not supported"},
    {"local.retention.ms", "tiered storage is not supported"},
    {"remote.storage.enable", "tiered storage is not supported"},
    {"preallocate", "segments reserve their disk blocks ahead of their end anyway"},
    {"message.downconversion.enable", "Fetch v0-3 are always down-converted"},
    {"message.format.version",
     "it is ignored because the inter-broker protocol version is 3.0 or later (records are stored in "
     "message format v2); this configuration is deprecated and removed in Apache Kafka 4.0"},
    {"leader.replication.throttled.replicas", kReplication},
    {"follower.replication.throttled.replicas", kReplication},
};
}  // namespace

const char* inert_config_reason(std::string_view name) {
  for (const auto& key : kInertKeys)
    if (key.name == name) return key.reason;
  return nullptr;
}

}  // namespace freshet::cluster
