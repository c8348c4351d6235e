#include <algorithm>

#include "server/fan_out.h"
#include "server/group_calls.h"
#include "server/handlers.h"

namespace freshet::server {

namespace {
using protocol::ListGroupsRequest;
using protocol::ListGroupsResponse;
using Listed = ListGroupsResponse::ListedGroup;

constexpr std::string_view kClassicGroupType = "classic";  // the only kind this broker has

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](char x, char y) { return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y)); });
}

// v5's types_filter: empty, or naming "classic".
bool wants_classic_groups(const ListGroupsRequest& req) {
  return req.types_filter.empty() || std::any_of(req.types_filter.begin(), req.types_filter.end(),
                                                 [](const auto& type) { return equals_ignoring_case(type, kClassicGroupType); });
}
}  // namespace

// Every shard lists the groups of the __consumer_offsets partitions it owns.
void handle_list_groups(const RequestPtr& request, protocol::Reader& body) {
  auto req = std::make_shared<ListGroupsRequest>();
  req->decode(body, request->version());
  auto resp = std::make_shared<ListGroupsResponse>();
  if (!wants_classic_groups(*req)) return request->reply(*resp);
  Broker& broker = request->broker;
  // One item per shard: the groups it lists, or that it is still loading some.
  struct ShardGroups {
    bool loading = false;
    std::vector<Listed> groups;
  };
  std::vector<std::vector<ShardGroups>> by_shard(broker.shards().size(), std::vector<ShardGroups>(1));
  fan_out<ShardGroups>(
      broker.shards(), std::move(by_shard),
      [&broker, req](unsigned shard, std::vector<ShardGroups> items, auto reply) {
        auto& coordinator = broker.groups(shard).coordinator();
        items.front().loading = coordinator.any_partition_loading();
        items.front().groups = coordinator.list_groups(req->states_filter);
        reply(std::move(items));
      },
      [resp](std::vector<ShardGroups>& items) {
        // Kafka answers COORDINATOR_LOAD_IN_PROGRESS (with what it has) while loading.
        if (items.front().loading) resp->error_code = protocol::code(protocol::ErrorCode::CoordinatorLoadInProgress);
        for (auto& group : items.front().groups) {
          group.group_type = std::string(kClassicGroupType);
          resp->groups.push_back(std::move(group));
        }
      },
      [request, resp] { request->reply(*resp); });
}

}  // namespace freshet::server
