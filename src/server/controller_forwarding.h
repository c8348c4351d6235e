// KIP-590's forwarding: a broker that is not the active controller sends a
// client's admin request (CreateTopics, DeleteTopics, CreatePartitions,
// AlterConfigs, IncrementalAlterConfigs) to the active controller wrapped in
// an Envelope, as Kafka does: the client's request as it came (header and
// body), its principal and its address. The controller's answer goes back to
// the client as the controller wrote it. An Envelope answered NOT_CONTROLLER
// (leadership moved), or lost with its connection, is sent again to whoever
// leads then, until request.timeout.ms (which covers the controller's commit
// and its shards opening the partitions) after it came; a request still
// unanswered then gets REQUEST_TIMED_OUT, and one whose leadership moved to
// this node meanwhile is handled here. A request that arrived on a
// controller listener is never forwarded again, so two nodes that disagree
// about the leader for a moment cannot pass one back and forth.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "server/request.h"

namespace freshet::server {

// Answers the client's request with `error` for every resource it names.
using ErrorAnswer = std::function<void(protocol::ErrorCode error, const std::string& message)>;

// The ErrorAnswer of a request whose topics (`topics`, each with a `name`)
// are answered one result each in the response's `results` member.
template <typename Response, typename Result, typename Topics>
ErrorAnswer error_per_topic(const RequestPtr& request, std::shared_ptr<const Topics> topics,
                            std::vector<Result> Response::*results) {
  return [request, topics, results](protocol::ErrorCode error, const std::string& message) {
    Response resp;
    for (const auto& t : *topics) {
      Result result;
      result.name = t.name;
      result.error_code = protocol::code(error);
      result.error_message = message;
      (resp.*results).push_back(std::move(result));
    }
    request->reply(resp);
  };
}

// True when the request went to the active controller (it is answered from
// there, or with `answer_error`). False when this node is the active
// controller, none is known, or the request came through a controller
// listener: the caller handles it here (answering NOT_CONTROLLER where no
// controller leads).
bool forward_to_controller(const RequestPtr& request, ErrorAnswer answer_error);

}  // namespace freshet::server
