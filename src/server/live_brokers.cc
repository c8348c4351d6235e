#include "server/live_brokers.h"


namespace freshet::server {

std::vector<LiveBroker> live_broker_endpoints(const cluster::MetadataImage& image,
                                              const std::string& listener) {
  std::vector<LiveBroker> out;
  for (int32_t id : image.live_brokers()) {
    const cluster::BrokerInfo* info = image.broker(id);
    if (const auto* endpoint = info->endpoint(listener)) out.push_back({id, endpoint->host, endpoint->port, info->rack});
  }
  return out;
}

}  // namespace freshet::server
