// Configuration keys Freshet accepts, because Kafka's server.properties files
// and topic tools set them, but does not apply yet (or, for Kafka's thread
// pools, has no counterpart for): each with the reason, which the broker logs
// whenever such a key is set (at start for broker keys, at create/alter for
// topic keys), so that no setting is a silent no-op. Every other declared key
// has a reader (tests/unit/cluster_config_keys_test.cc checks both).
#pragma once

#include <string_view>

namespace freshet::cluster {

// Why `name` (a broker or topic key) has no effect, or nullptr when it has one.
const char* inert_config_reason(std::string_view name);

}  // namespace freshet::cluster
