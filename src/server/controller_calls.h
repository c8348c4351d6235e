// Running controller operations from any shard: the controller lives on
// shard 0, so a call hops there, runs, waits until every shard has picked up
// the resulting metadata image (partitions opened or removed), and delivers
// its result back on the caller's shard.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cluster/controller.h"
#include "server/broker.h"

namespace freshet::server {

template <typename Result>
void call_controller(Broker& broker, std::function<Result(cluster::Controller&)> fn, std::function<void(Result)> done) {
  broker.shards().submit_async<Result>(
      0,
      [&broker, fn = std::move(fn)](std::function<void(Result)> reply) {
        auto result = std::make_shared<Result>(fn(broker.controller()));
        broker.sync_partitions([reply, result] { reply(std::move(*result)); });
      },
      std::move(done));
}

// Creates each named topic with the broker's defaults (auto-creation);
// failures are logged, not reported (the caller re-reads the image).
void create_topics_with_defaults(Broker& broker, std::vector<std::string> names, std::function<void()> done);

}  // namespace freshet::server
