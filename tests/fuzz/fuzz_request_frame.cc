// Request frames as the broker parses them (server::Broker::handle, without
// the socket): int16 api key and version pick the API among
// server::served_apis(), versions outside the served range are refused, the
// request header is decoded at the API's header version and the body with
// that API's generated request decoder, as the handler does. The input is
// one frame without its int32 size prefix.
#include "fuzz_target.h"
#include "message_cases.h"
#include "protocol/api_keys.h"
#include "protocol/messages.h"
#include "server/handlers.h"

namespace {

using namespace freshet;

// The request codec of each served API, by key.
const protocol::testing::MessageCase* request_case(int16_t api_key) {
  static const auto table = [] {
    std::vector<const protocol::testing::MessageCase*> cases(1 << 15, nullptr);
    for (const auto& api : server::served_apis()) {
      const auto* message = fuzz::find_message_case(std::string(protocol::find_api(api.api_key)->name) + "Request");
      FUZZ_CHECK(message != nullptr);
      cases[static_cast<size_t>(api.api_key)] = message;
    }
    return cases;
  }();
  return api_key < 0 ? nullptr : table[static_cast<size_t>(api_key)];
}

void parse_frame(std::span<const uint8_t> frame) {
  protocol::Reader reader(frame);
  const int16_t api_key = reader.i16();
  const int16_t version = reader.i16();
  const server::ServedApi* api = server::find_served_api(api_key);
  if (!api || version < api->min_version || version > api->max_version) return;  // the broker refuses it
  protocol::Reader header_reader(frame);
  protocol::RequestHeader header;
  header.decode(header_reader, protocol::request_header_version(api_key, version));
  FUZZ_CHECK(header.request_api_key == api_key && header.request_api_version == version);
  const protocol::testing::MessageCase* body = request_case(api_key);
  FUZZ_CHECK(body != nullptr);
  fuzz::decode_and_check(*body, header_reader.rest(), version);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    parse_frame(std::span<const uint8_t>(data, size));
  } catch (const protocol::DecodeError&) {
  }
  return 0;
}

namespace freshet::fuzz {

// A frame for every served API at every version, with every field set and
// with nullable fields null.
void fuzz_seeds(std::vector<Input>& out) {
  for (const auto& api : server::served_apis()) {
    const protocol::testing::MessageCase* body = request_case(api.api_key);
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
