// Request frames through the broker's real handlers: one in-process Broker
// (one shard, a temporary data dir, a listener on an ephemeral loopback port
// nothing connects to) gets each input through Broker::handle on its shard,
// as a connection would hand it over. The input is one frame without its
// int32 size prefix.
//
// Properties: every request is either answered — with a response that
// carries its correlation id and decodes as its API's response at its
// version — or failed for malformed input (a DecodeError, an unknown API or
// version), never for any other reason; a request that waits (a long-poll
// Fetch) may still be pending when the next input runs. The broker starts
// afresh every kInputsPerBroker inputs, which bounds the state fuzzed admin
// requests pile up (a replayed input meets a fresh broker).
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

#include "fuzz_target.h"
#include "message_cases.h"
#include "protocol/api_keys.h"
#include "protocol/messages.h"
#include "server/broker.h"
#include "server/handlers.h"

namespace {

using namespace freshet;

constexpr int kInputsPerBroker = 2000;
constexpr auto kAnswerWait = std::chrono::milliseconds(200);

// The codec named `suffix` ("Request"/"Response") of the API `api_key`.
const protocol::testing::MessageCase* codec_of(int16_t api_key, const char* suffix) {
  const protocol::ApiInfo* api = protocol::find_api(api_key);
  FUZZ_CHECK(api != nullptr);
  const auto* message = fuzz::find_message_case(std::string(api->name) + suffix);
  FUZZ_CHECK(message != nullptr);
  return message;
}

// What became of one request.
struct Outcome {
  std::mutex mutex;
  std::condition_variable changed;
  bool done = false;
  std::optional<std::vector<uint8_t>> response;  // flattened; nullopt: no response (acks=0) or failed
  std::optional<std::string> failure;
};

// A response's bytes in one buffer, file slices read in.
std::vector<uint8_t> flatten(const protocol::EncodedMessage& message) {
  std::vector<uint8_t> out;
  size_t copied = 0;
  for (const auto& [position, records] : message.externals) {
    out.insert(out.end(), message.bytes.begin() + static_cast<std::ptrdiff_t>(copied),
               message.bytes.begin() + static_cast<std::ptrdiff_t>(position));
    copied = position;
    if (records.file) {
      std::vector<uint8_t> slice(records.file->size_bytes);
      ssize_t n = ::pread(records.file->fd, slice.data(), slice.size(), static_cast<off_t>(records.file->position));
      FUZZ_CHECK(n == static_cast<ssize_t>(slice.size()));
      out.insert(out.end(), slice.begin(), slice.end());
    } else {
      out.insert(out.end(), records.bytes.begin(), records.bytes.end());
    }
  }
  out.insert(out.end(), message.bytes.begin() + static_cast<std::ptrdiff_t>(copied), message.bytes.end());
  return out;
}

// One broker over a temporary data dir, restarted every kInputsPerBroker inputs.
class InProcessBroker {
 public:
  InProcessBroker() { spdlog::set_level(spdlog::level::off); }
  ~InProcessBroker() { stop(); }

  std::shared_ptr<Outcome> handle(std::span<const uint8_t> frame) {
    if (!broker_ || ++inputs_ > kInputsPerBroker) restart();
    auto outcome = std::make_shared<Outcome>();
    auto finish = [outcome](std::optional<std::vector<uint8_t>> response, std::optional<std::string> failure) {
      std::lock_guard lock(outcome->mutex);
      outcome->done = true;
      outcome->response = std::move(response);
      outcome->failure = std::move(failure);
      outcome->changed.notify_all();
    };
    net::Responder respond(
        [finish](net::ResponseBytes bytes) { finish(bytes ? std::optional(flatten(*bytes)) : std::nullopt, std::nullopt); },
        [finish](const std::string& reason) { finish(std::nullopt, reason); });
    auto shared_frame = std::make_shared<const std::vector<uint8_t>>(frame.begin(), frame.end());
    broker_->shards().post(0, [this, shared_frame, respond = std::move(respond)] {
      broker_->handle(net::ClientInfo{"127.0.0.1:1", "PLAINTEXT"}, shared_frame, respond);
    });
    std::unique_lock lock(outcome->mutex);
    outcome->changed.wait_for(lock, kAnswerWait, [&] { return outcome->done; });
    return outcome;
  }

 private:
  void restart() {
    stop();
    char pattern[] = "/tmp/freshet-fuzz-XXXXXX";
    FUZZ_CHECK(::mkdtemp(pattern) != nullptr);
    data_dir_ = pattern;
    auto config = cluster::BrokerConfig::load(
        std::nullopt, {"listeners=PLAINTEXT://127.0.0.1:0", "log.dirs=" + data_dir_.string()}, nullptr);
    broker_ = std::make_unique<server::Broker>(config, 1);
    broker_->start();
    inputs_ = 1;
  }
  void stop() {
    if (!broker_) return;
    broker_->stop();
    broker_.reset();
    std::filesystem::remove_all(data_dir_);
  }

  std::unique_ptr<server::Broker> broker_;
  std::filesystem::path data_dir_;
  int inputs_ = 0;
};

InProcessBroker& broker() {
  static InProcessBroker instance;
  return instance;
}

bool malformed_input_failure(const std::string& reason) {
  return reason.find("malformed request") != std::string::npos || reason.rfind("unknown API key", 0) == 0 ||
         reason.rfind("unsupported version", 0) == 0;
}

// The response must carry the request's correlation id and decode as the
// API's response (KIP-511's fallback answers ApiVersions at v0).
void check_response(const std::vector<uint8_t>& response, int16_t api_key, int16_t version, int32_t correlation_id) {
  const server::ServedApi* api = server::find_served_api(api_key);
  FUZZ_CHECK(api != nullptr);
  int16_t response_version = version > api->max_version ? 0 : version;
  protocol::Reader reader(std::span<const uint8_t>(response).subspan(4));  // the connection fills the size prefix
  protocol::ResponseHeader header;
  header.decode(reader, protocol::response_header_version(api_key, response_version));
  FUZZ_CHECK(header.correlation_id == correlation_id);
  fuzz::decode_and_check(*codec_of(api_key, "Response"), reader.rest(), response_version);
}

void handle_frame(std::span<const uint8_t> frame) {
  if (frame.size() < 8) return;  // the connection refuses shorter frames before any handler
  protocol::Reader reader(frame);
  const int16_t api_key = reader.i16();
  const int16_t version = reader.i16();
  const int32_t correlation_id = reader.i32();
  auto outcome = broker().handle(frame);
  std::lock_guard lock(outcome->mutex);
  if (!outcome->done) return;  // waiting (a long poll): allowed
  if (outcome->failure) {
    if (!malformed_input_failure(*outcome->failure)) {
      fprintf(stderr, "fuzz: request failed for a reason other than malformed input: %s\n", outcome->failure->c_str());
      FUZZ_CHECK(malformed_input_failure(*outcome->failure));
    }
    return;
  }
  if (outcome->response) check_response(*outcome->response, api_key, version, correlation_id);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  handle_frame(std::span<const uint8_t>(data, size));
  return 0;
}

namespace freshet::fuzz {

// A frame for every served API at every version, with every field set and
// with nullable fields null.
void fuzz_seeds(std::vector<Input>& out) {
  for (const auto& api : server::served_apis()) {
    const protocol::testing::MessageCase* body = codec_of(api.api_key, "Request");
    for (int16_t version = api.min_version; version <= api.max_version; ++version) {
      for (bool nulls : {false, true}) {
        protocol::RequestHeader header;
        header.request_api_key = api.api_key;
        header.request_api_version = version;
        header.correlation_id = 7;
        header.client_id = "fuzz-client";
        protocol::Writer w;
        header.encode(w, protocol::request_header_version(api.api_key, version));
        Input frame = w.take();
        const std::vector<uint8_t> encoded = body->encode_sample(version, nulls);
        frame.insert(frame.end(), encoded.begin(), encoded.end());
        out.push_back(std::move(frame));
      }
    }
  }
}

}  // namespace freshet::fuzz
