// Running coordinator operations from any shard: a call is routed to the
// shard owning the group's __consumer_offsets partition (or the
// transactional id's __transaction_state partition), runs there on that
// shard's coordinator, and its answer comes back on the caller's shard.
// While the topic does not exist no node coordinates any group
// (transaction): callers answer NOT_COORDINATOR and clients look the
// coordinator up again (FindCoordinator creates the topic).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "coordinator/group_coordinator.h"
#include "server/broker.h"
#include "server/clock.h"
#include "server/offsets_topic.h"
#include "server/transaction_topic.h"
#include "server/request.h"

namespace freshet::server {

// The coordinator's view of who sent `request` (now_ms is filled in on the
// coordinator's shard).
coordinator::CallContext call_context(const Request& request);

// Runs `run(context, reply)` on the shard `route` names; done(result) on the
// caller's shard, or done(not_coordinated()) at once without a route.
template <typename Result, typename Route>
void call_coordinator_shard(const RequestPtr& request, const std::optional<Route>& route,
                            std::function<void(const coordinator::CallContext&, const Route&, std::function<void(Result)>)> run,
                            std::function<Result()> not_coordinated, std::function<void(Result)> done) {
  if (!route) return done(not_coordinated());
  request->broker.shards().submit_async<Result>(
      route->shard,
      [request, route = *route, run = std::move(run)](std::function<void(Result)> reply) {
        coordinator::CallContext context = call_context(*request);
        context.now_ms = now_ms();
        run(context, route, std::move(reply));
      },
      std::move(done));
}

template <typename Result>
using GroupCall = std::function<void(coordinator::GroupCoordinator&, const coordinator::CallContext&,
                                     int32_t partition, std::function<void(Result)> reply)>;

// Runs `call` on the coordinator of `group_id`; done(result) on the caller's
// shard. `not_coordinated()` builds the result when no node coordinates it.
template <typename Result>
void call_group(const RequestPtr& request, const std::string& group_id, GroupCall<Result> call,
                std::function<Result()> not_coordinated, std::function<void(Result)> done) {
  Broker& broker = request->broker;
  call_coordinator_shard<Result, GroupRoute>(
      request, route_group(broker, *broker.image(), group_id),
      [&broker, call = std::move(call)](const coordinator::CallContext& context, const GroupRoute& route,
                                        std::function<void(Result)> reply) {
        GroupShard& groups = broker.groups(route.shard);
        call(groups.coordinator(), context, route.partition, std::move(reply));
        groups.rearm();
      },
      std::move(not_coordinated), std::move(done));
}

template <typename Result>
using TransactionCall = std::function<void(coordinator::TransactionCoordinator&, const coordinator::CallContext&,
                                           int32_t partition, std::function<void(Result)> reply)>;

// call_group for the transaction coordinator of `transactional_id`.
template <typename Result>
void call_transaction(const RequestPtr& request, const std::string& transactional_id, TransactionCall<Result> call,
                      std::function<Result()> not_coordinated, std::function<void(Result)> done) {
  Broker& broker = request->broker;
  call_coordinator_shard<Result, CoordinatorRoute>(
      request, route_transaction(broker, *broker.image(), transactional_id),
      [&broker, call = std::move(call)](const coordinator::CallContext& context, const CoordinatorRoute& route,
                                        std::function<void(Result)> reply) {
        TransactionShard& transactions = broker.transactions(route.shard);
        call(transactions.coordinator(), context, route.partition, std::move(reply));
        transactions.rearm();
      },
      std::move(not_coordinated), std::move(done));
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
