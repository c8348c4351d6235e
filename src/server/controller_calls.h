// Running controller operations from any shard: the controller lives on
// the control shard, so a call hops there, runs, waits until every shard has picked up
// the resulting metadata image (partitions opened or removed), and delivers
// its result back on the caller's shard.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cluster/controller.h"
#include "server/broker.h"

namespace freshet::server {

// call_controller's part on the control shard. A leader not yet active (it has not
// applied all that came before its epoch) runs `fn` once it is, or once it
// no longer leads (where its writes answer NOT_CONTROLLER).
template <typename Result>
void run_on_controller(Broker& broker, std::function<Result(cluster::Controller&)> fn, std::function<void(Result)> reply) {
  auto& quorum = broker.quorum();
  if (quorum.leading() && !quorum.active())
    return quorum.when_applied(quorum.core().epoch_start_offset() + 1,
                               [&broker, fn = std::move(fn), reply = std::move(reply)](bool) mutable {
                                 run_on_controller<Result>(broker, std::move(fn), std::move(reply));
                               });
  auto result = std::make_shared<Result>(fn(broker.controller()));
  broker.quorum().when_applied(broker.controller().proposed_end(),
                               [&broker, fn = std::move(fn), reply = std::move(reply), result](bool committed) mutable {
                                 if (!committed) return run_on_controller<Result>(broker, std::move(fn), std::move(reply));
                                 broker.sync_partitions([reply, result] { reply(std::move(*result)); });
                               });
}

// Runs `fn` on the controller (the control shard). When it proposed metadata records,
// the answer waits until they are committed and every shard has picked up
// the resulting image; if this node stops leading first, `fn` runs again
// there, where its writes answer NOT_CONTROLLER (or, re-elected, it is
// retried). done(result) runs on the caller's shard.
template <typename Result>
void call_controller(Broker& broker, std::function<Result(cluster::Controller&)> fn, std::function<void(Result)> done) {
  broker.shards().submit_async<Result>(
      broker.shards().control_shard(),
      [&broker, fn = std::move(fn)](std::function<void(Result)> reply) {
        run_on_controller<Result>(broker, std::move(fn), std::move(reply));
      },
      std::move(done));
}

// On the control shard: runs `local` on this node's controller when it leads the
// quorum (answering once its records commit, as run_on_controller), else
// sends `request` to the leader over the controller channel and maps the
// answer with `remote`; with no leader known, or no answer, done gets
// `unavailable`. done runs on the control shard.
template <typename Result, typename Response, typename Request>
void on_active_controller(Broker& broker, std::function<Result(cluster::Controller&)> local, const Request& request,
                          std::function<Result(const Response&)> remote, Result unavailable,
                          std::function<void(Result)> done) {
  const auto& core = broker.quorum().core();
  if (core.role() == raft::Role::kLeader) return run_on_controller<Result>(broker, std::move(local), std::move(done));
  PeerClient* client = core.leader() == raft::kNoNode ? nullptr : broker.controller_channel().client(core.leader());
  if (!client) return done(std::move(unavailable));
  client->call<Response>(request, Request::kMaxVersion, broker.config().get_int("controller.quorum.request.timeout.ms"),
                         [remote = std::move(remote), unavailable = std::move(unavailable),
                          done = std::move(done)](std::optional<Response> response) mutable {
                           done(response ? remote(*response) : std::move(unavailable));
                         });
}

// Creates `topic` on the active controller, wherever it is; done(result) on
// the caller's shard. The new topic reaches this node's image a little later
// when another node leads.
void create_topic_on_controller(Broker& broker, cluster::NewTopic topic, std::function<void(cluster::TopicResult)> done);

// Creates each named topic with the broker's defaults (auto-creation);
// failures are logged, not reported (the caller re-reads the image).
void create_topics_with_defaults(Broker& broker, std::vector<std::string> names, std::function<void()> done);

}  // namespace freshet::server
