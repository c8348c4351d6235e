// A blocking connection to one broker for the APIs librdkafka 2.0.2 has no
// admin call for (DescribeProducers, DescribeTransactions, ListTransactions):
// requests are encoded with protocol/'s generated messages, at the highest
// version both sides support (learned from ApiVersions when connecting).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "protocol/messages.h"
#include "protocol/wire.h"

namespace freshet::cli {

class ProtocolConnection {
 public:
  // Connects to the first reachable "host:port" of the comma-separated
  // `brokers` and asks for its API versions. Throws CommandError.
  explicit ProtocolConnection(const std::string& brokers);
  ~ProtocolConnection();
  ProtocolConnection(const ProtocolConnection&) = delete;
  ProtocolConnection& operator=(const ProtocolConnection&) = delete;

  // Sends `request` and returns the broker's answer. Throws CommandError when
  // the broker does not serve the API or the connection fails.
  template <typename Response, typename Request>
  Response call(const Request& request) {
    const int16_t version = negotiate(Request::kApiKey, Request::kMinVersion, Request::kMaxVersion);
    protocol::Writer body;
    request.encode(body, version);
    std::vector<uint8_t> payload = round_trip(Request::kApiKey, version, body.take());
    Response response;
    decode(payload, [&](protocol::Reader& r) { response.decode(r, version); });
    return response;
  }

  const std::string& address() const { return address_; }

 private:
  // Runs `decode_body` over `payload`, turning a malformed answer into a CommandError.
  void decode(const std::vector<uint8_t>& payload, const std::function<void(protocol::Reader&)>& decode_body) const;
  int16_t negotiate(int16_t api_key, int16_t min_version, int16_t max_version) const;
  // Writes one request frame and returns the response body after its header.
  std::vector<uint8_t> round_trip(int16_t api_key, int16_t version, const std::vector<uint8_t>& body);
  void write_all(const std::vector<uint8_t>& bytes);
  std::vector<uint8_t> read_exact(size_t size);

  int fd_ = -1;
  std::string address_;
  int32_t next_correlation_id_ = 1;
  std::map<int16_t, std::pair<int16_t, int16_t>> versions_;  // the broker's, by API key
};

}  // namespace freshet::cli
