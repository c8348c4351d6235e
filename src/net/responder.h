// The way back for one request's answer, from whichever shard answers it.
// Copies share one answer: the first call counts, later ones are ignored. A
// request whose every copy is dropped unanswered (a handler lost it, or threw
// on some shard) fails, so that its client is never left waiting.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "protocol/wire.h"

namespace freshet::net {

// A response's bytes, large record sets referenced rather than copied;
// nullopt when the request gets no response (Produce with acks=0).
using ResponseBytes = std::optional<protocol::EncodedMessage>;

class Responder {
 public:
  using Deliver = std::function<void(ResponseBytes)>;
  using Fail = std::function<void(const std::string& reason)>;

  Responder() = default;
  // `deliver` receives the answer; `fail` runs instead when the request
  // fails, or is dropped unanswered on a shard thread (off the shards only
  // while the process tears its reactors down, when nothing is waiting).
  Responder(Deliver deliver, Fail fail);

  // Delivers the answer. On the shard the connection lives on.
  void operator()(ResponseBytes bytes) const;
  // Gives up on the request, with `reason` for the log. Any thread.
  void fail(const std::string& reason) const;

 private:
  struct Pending;
  std::shared_ptr<Pending> pending_;
};

}  // namespace freshet::net
