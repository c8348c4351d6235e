#include "server/controller_forwarding.h"

#include <asio/ip/address.hpp>
#include <asio/steady_timer.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "server/broker.h"
#include "server/clock.h"
#include "server/handlers.h"

namespace freshet::server {

namespace {
using protocol::ApiKey;
using protocol::EnvelopeRequest;
using protocol::EnvelopeResponse;
using protocol::ErrorCode;

// Between attempts while no other node is known to lead (Kafka's retry.backoff.ms).
constexpr int64_t kRetryBackoffMs = 100;

bool forwardable(int16_t api_key) {
  switch (static_cast<ApiKey>(api_key)) {
    case ApiKey::CreateTopics:
    case ApiKey::DeleteTopics:
    case ApiKey::CreatePartitions:
    case ApiKey::AlterConfigs:
    case ApiKey::IncrementalAlterConfigs:
      return true;
    default:
      return false;
  }
}

// "127.0.0.1:53422" -> the address's 4 or 16 bytes (none when it does not parse).
std::vector<uint8_t> host_address_bytes(const std::string& peer) {
  std::error_code error;
  const auto address = asio::ip::make_address(peer.substr(0, peer.rfind(':')), error);
  if (error) return {};
  if (address.is_v4()) {
    auto bytes = address.to_v4().to_bytes();
    return {bytes.begin(), bytes.end()};
  }
  auto bytes = address.to_v6().to_bytes();
  return {bytes.begin(), bytes.end()};
}

std::string host_address_text(const std::vector<uint8_t>& bytes) {
  if (bytes.size() == 4) {
    asio::ip::address_v4::bytes_type v4;
    std::copy(bytes.begin(), bytes.end(), v4.begin());
    return asio::ip::address_v4(v4).to_string();
  }
  if (bytes.size() == 16) {
    asio::ip::address_v6::bytes_type v6;
    std::copy(bytes.begin(), bytes.end(), v6.begin());
    return asio::ip::address_v6(v6).to_string();
  }
  return "unknown";
}

// KafkaPrincipalSerde's form: a version, then DefaultPrincipalData. Every
// client is User:ANONYMOUS until the listeners authenticate (issue 13).
std::vector<uint8_t> serialized_principal() {
  protocol::DefaultPrincipalData principal;
  principal.type = "User";
  principal.name = "ANONYMOUS";
  protocol::Writer w;
  w.i16(0);
  principal.encode(w, 0);
  return w.take();
}

// One forwarded request, from the first attempt to its answer; lives on the
// control shard.
struct Forward {
  RequestPtr request;
  ErrorAnswer answer_error;
  EnvelopeRequest envelope;
  int64_t deadline_ms;
  asio::steady_timer backoff;
};

void attempt(const std::shared_ptr<Forward>& forward);

// Answers on the client connection's shard.
void finish(const std::shared_ptr<Forward>& forward, std::function<void(const Forward&)> answer) {
  Broker& broker = forward->request->broker;
  broker.shards().post(forward->request->shard, [forward, answer = std::move(answer)] { answer(*forward); });
}

void retry_later(const std::shared_ptr<Forward>& forward) {
  const int64_t now = now_ms();
  if (now >= forward->deadline_ms)
    return finish(forward, [](const Forward& f) {
      f.answer_error(ErrorCode::RequestTimedOut, "The active controller did not answer the forwarded request in time.");
    });
  forward->backoff.expires_after(std::chrono::milliseconds(std::min(kRetryBackoffMs, forward->deadline_ms - now)));
  forward->backoff.async_wait([forward](std::error_code error) {
    if (!error) attempt(forward);
  });
}

// Answers the client with a controller's answer to its request (response
// header, then body): the body is passed on as it is.
void reply_with(const Forward& f, std::span<const uint8_t> answer) {
  try {
    protocol::Reader reader(answer);
    protocol::ResponseHeader header;
    header.decode(reader, protocol::response_header_version(f.request->header.request_api_key, f.request->version()));
    if (header.correlation_id != f.request->header.correlation_id) throw protocol::DecodeError("correlation id");
    f.request->reply_encoded(answer.subspan(answer.size() - reader.remaining()));
  } catch (const protocol::DecodeError&) {
    f.answer_error(ErrorCode::UnknownServerError, "The active controller's answer did not decode.");
  }
}

// Leadership came here while the request was forwarded: this node's
// controller handles it, as a controller listener's request (so it is not
// forwarded again).
void handle_here(const std::shared_ptr<Forward>& forward) {
  finish(forward, [forward](const Forward& f) {
    net::Responder here(
        [forward](net::ResponseBytes bytes) {
          if (!bytes || !bytes->externals.empty()) return forward->request->fail("no answer from this node's controller");
          reply_with(*forward, std::span<const uint8_t>(bytes->bytes).subspan(4));  // less the size prefix
        },
        [forward](const std::string& reason) { forward->request->fail(reason); });
    Broker& broker = f.request->broker;
    broker.handle({f.request->peer, broker.config().controller_listener_name()}, f.request->frame, std::move(here));
  });
}

void attempt(const std::shared_ptr<Forward>& forward) {
  Broker& broker = forward->request->broker;
  const int32_t controller = broker.active_controller();
  if (controller == broker.node_id()) return handle_here(forward);
  PeerClient* client = controller == -1 ? nullptr : broker.forwarding_channel().client(controller);
  if (!client) return retry_later(forward);
  const int64_t timeout_ms = std::max<int64_t>(forward->deadline_ms - now_ms(), 1);
  client->call<EnvelopeResponse>(forward->envelope, 0, timeout_ms, [forward](std::optional<EnvelopeResponse> answer) {
    if (!answer || answer->error_code == protocol::code(ErrorCode::NotController)) return retry_later(forward);
    finish(forward, [answer = std::move(*answer)](const Forward& f) {
      if (answer.error_code != 0 || !answer.response_data) {
        const auto error = static_cast<ErrorCode>(answer.error_code != 0 ? answer.error_code
                                                                         : protocol::code(ErrorCode::UnknownServerError));
        return f.answer_error(error, "The active controller refused the forwarded request.");
      }
      reply_with(f, *answer.response_data);
    });
  });
}
}  // namespace

bool forward_to_controller(const RequestPtr& request, ErrorAnswer answer_error) {
  Broker& broker = request->broker;
  const int32_t controller = broker.active_controller();
  if (controller == -1 || controller == broker.node_id() || broker.config().is_controller_listener(request->listener))
    return false;
  auto& context = broker.shards().context(broker.shards().control_shard());
  auto forward = std::make_shared<Forward>(Forward{request, std::move(answer_error), {}, now_ms() + broker.config().get_int("request.timeout.ms"),
                                                   asio::steady_timer(context)});
  forward->envelope.request_data.assign(request->frame->begin(), request->frame->end());
  forward->envelope.request_principal = serialized_principal();
  forward->envelope.client_host_address = host_address_bytes(request->peer);
  broker.shards().post(broker.shards().control_shard(), [forward] { attempt(forward); });
  return true;
}

void handle_envelope(const RequestPtr& request, protocol::Reader& body) {
  Broker& broker = request->broker;
  auto req = std::make_shared<EnvelopeRequest>();
  req->decode(body, request->version());
  EnvelopeResponse refused;
  // Envelopes come only from brokers, on the controller listeners, and carry
  // only forwardable requests.
  if (!broker.config().is_controller_listener(request->listener) || req->request_data.size() < 4 ||
      !forwardable(protocol::Reader(req->request_data).i16())) {
    refused.error_code = protocol::code(ErrorCode::InvalidRequest);
    return request->reply(refused);
  }
  if (broker.active_controller() != broker.node_id()) {
    refused.error_code = protocol::code(ErrorCode::NotController);
    return request->reply(refused);
  }
  auto frame = std::make_shared<const std::vector<uint8_t>>(std::move(req->request_data));
  // The inner request's answer, less the size prefix the connection writes,
  // is the Envelope's; its failure fails the Envelope (and its connection).
  net::Responder inner(
      [request](net::ResponseBytes bytes) {
        EnvelopeResponse answer;
        if (bytes) {
          if (!bytes->externals.empty()) return request->fail("a forwarded request's answer referenced record sets");
          answer.response_data.emplace(bytes->bytes.begin() + 4, bytes->bytes.end());
        }
        request->reply(answer);
      },
      [request](const std::string& reason) { request->fail("the forwarded request failed: " + reason); });
  const net::ClientInfo client{fmt::format("{} (forwarded by {})", host_address_text(req->client_host_address),
                                           request->peer),
                               request->listener};
  broker.handle(client, frame, std::move(inner));
}

}  // namespace freshet::server
