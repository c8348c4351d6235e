// Typed requests to another node over a net::PeerConnection: the request
// header (correlation id, client id) on the way out, the response header
// checked and the body decoded on the way back. An answer that does not
// decode counts as no answer.
// Lives on one shard, like its connection.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/peer_connection.h"
#include "protocol/api_keys.h"
#include "protocol/messages.h"

namespace freshet::server {

class PeerClient {
 public:
  PeerClient(std::shared_ptr<net::PeerConnection> connection, std::string client_id)
      : connection_(std::move(connection)), client_id_(std::move(client_id)) {}
  ~PeerClient() { connection_->close(); }
  PeerClient(const PeerClient&) = delete;
  PeerClient& operator=(const PeerClient&) = delete;

  template <typename Response, typename Request>
  void call(const Request& request, int16_t version, int64_t timeout_ms, std::function<void(std::optional<Response>)> done) {
    protocol::Writer body;
    request.encode(body, version);
    send(Request::kApiKey, version, body.take(), timeout_ms,
         [done = std::move(done), version](std::optional<std::vector<uint8_t>> frame, size_t body_offset) {
           if (!frame) return done(std::nullopt);
           std::optional<Response> response;
           try {
             auto owner = std::make_shared<std::vector<uint8_t>>(std::move(*frame));
             protocol::Reader reader(std::span<const uint8_t>(*owner).subspan(body_offset), owner);
             response.emplace();
             response->decode(reader, version);
           } catch (const protocol::DecodeError&) {
             response.reset();
           }
           done(std::move(response));
         });
  }

  const std::string& address() const { return connection_->address(); }
  // See net::PeerConnection::on_lost.
  void on_lost(std::function<void()> lost) { connection_->on_lost(std::move(lost)); }

 private:
  // Sends an encoded body; `done` gets the answer's frame and where its body
  // starts (after the response header), or nullopt.
  using RawDone = std::function<void(std::optional<std::vector<uint8_t>>, size_t)>;
  void send(int16_t api_key, int16_t version, std::vector<uint8_t> body, int64_t timeout_ms, RawDone done);

  std::shared_ptr<net::PeerConnection> connection_;
  std::string client_id_;
  int32_t next_correlation_id_ = 1;
};

}  // namespace freshet::server
