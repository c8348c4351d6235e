// Where new replicas go: Kafka's rack-alternated order of the live brokers
// (AdminUtils.getRackAlternatedBrokerList): racks in name order, brokers by
// id within each, taken one from each rack in turn, so that replicas striped
// along it land on different racks and leaders spread over all of them.
// Brokers without broker.rack form a group of their own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace freshet::cluster {

struct PlacementBroker {
  int32_t id;
  std::optional<std::string> rack;
};

std::vector<int32_t> rack_alternated(std::vector<PlacementBroker> brokers);

}  // namespace freshet::cluster
