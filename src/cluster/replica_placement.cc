#include "cluster/replica_placement.h"

#include <algorithm>
#include <map>

namespace freshet::cluster {

std::vector<int32_t> rack_alternated(std::vector<PlacementBroker> brokers) {
  std::sort(brokers.begin(), brokers.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  std::map<std::optional<std::string>, std::vector<int32_t>> by_rack;
  for (const auto& b : brokers) by_rack[b.rack].push_back(b.id);
  std::vector<int32_t> order;
  for (size_t round = 0; order.size() < brokers.size(); ++round)
    for (const auto& [rack, ids] : by_rack)
      if (round < ids.size()) order.push_back(ids[round]);
  return order;
}

}  // namespace freshet::cluster
