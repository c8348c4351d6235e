// The brokers a client is told of (Metadata, DescribeCluster): the image's
// registered, unfenced brokers at their endpoint for the listener the client
// came through. A broker without that listener is left out, as Kafka does.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cluster/metadata_image.h"

namespace freshet::server {

struct LiveBroker {
  int32_t id;
  std::string host;
  uint16_t port;
  std::optional<std::string> rack;
};

std::vector<LiveBroker> live_broker_endpoints(const cluster::MetadataImage& image,
                                              const std::string& listener);

}  // namespace freshet::server
