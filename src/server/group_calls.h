// Running group-coordinator operations from any shard: a call is routed to
// the shard owning the group's __consumer_offsets partition, runs there on
// that shard's GroupCoordinator, and its answer comes back on the caller's
// shard. While __consumer_offsets does not exist no node coordinates any
// group: callers answer NOT_COORDINATOR and clients look the coordinator up
// again (FindCoordinator creates the topic).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "coordinator/group_coordinator.h"
#include "server/broker.h"
#include "server/clock.h"
#include "server/offsets_topic.h"
#include "server/request.h"

namespace freshet::server {

// The coordinator's view of who sent `request` (now_ms is filled in on the
// coordinator's shard).
coordinator::CallContext call_context(const Request& request);

template <typename Result>
using GroupCall = std::function<void(coordinator::GroupCoordinator&, const coordinator::CallContext&,
                                     int32_t partition, std::function<void(Result)> reply)>;

// Runs `call` on the coordinator of `group_id`; done(result) on the caller's
// shard. `not_coordinated()` builds the result when no node coordinates it.
template <typename Result>
void call_group(const RequestPtr& request, const std::string& group_id, GroupCall<Result> call,
                std::function<Result()> not_coordinated, std::function<void(Result)> done) {
  Broker& broker = request->broker;
  auto route = route_group(broker, *broker.image(), group_id);
  if (!route) return done(not_coordinated());
  broker.shards().submit_async<Result>(
      route->shard,
      [&broker, request, route = *route, call = std::move(call)](std::function<void(Result)> reply) {
        coordinator::CallContext context = call_context(*request);
        context.now_ms = now_ms();
        GroupShard& groups = broker.groups(route.shard);
        call(groups.coordinator(), context, route.partition, std::move(reply));
        groups.rearm();
      },
      std::move(done));
}

// call_group for each of `group_ids`; done(results) in the order asked.
template <typename Result>
void call_groups(const RequestPtr& request, const std::vector<std::string>& group_ids,
                 std::function<GroupCall<Result>(size_t index)> call_for,
                 std::function<Result(size_t index)> not_coordinated, std::function<void(std::vector<Result>)> done) {
  if (group_ids.empty()) return done({});
  auto results = std::make_shared<std::vector<Result>>(group_ids.size());
  auto remaining = std::make_shared<size_t>(group_ids.size());
  for (size_t i = 0; i < group_ids.size(); ++i) {
    call_group<Result>(
        request, group_ids[i], call_for(i), [not_coordinated, i] { return not_coordinated(i); },
        [results, remaining, done, i](Result result) {
          (*results)[i] = std::move(result);
          if (--*remaining == 0) done(std::move(*results));
        });
  }
}

// The whole of a single-group API handler whose Response has a top-level
// error_code: decodes RequestBody from `body`, runs `method` on the group's
// coordinator and sends its Response (NOT_COORDINATOR without a coordinator).
template <typename RequestBody, typename Response>
using GroupMethod = void (*)(coordinator::GroupCoordinator&, const coordinator::CallContext&, int32_t partition,
                             const RequestBody&, std::function<void(Response)> reply);

template <typename RequestBody, typename Response>
void serve_group_request(const RequestPtr& request, protocol::Reader& body, GroupMethod<RequestBody, Response> method) {
  auto req = std::make_shared<RequestBody>();
  req->decode(body, request->version());
  call_group<Response>(
      request, req->group_id,
      [req, method](coordinator::GroupCoordinator& coordinator, const coordinator::CallContext& context,
                    int32_t partition, std::function<void(Response)> reply) {
        method(coordinator, context, partition, *req, std::move(reply));
      },
      [] {
        Response resp;
        resp.error_code = protocol::code(protocol::ErrorCode::NotCoordinator);
        return resp;
      },
      [request](Response resp) { request->reply(resp); });
}

}  // namespace freshet::server
