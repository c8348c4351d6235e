#include "server/peer_client.h"

namespace freshet::server {

void PeerClient::send(int16_t api_key, int16_t version, std::vector<uint8_t> body, int64_t timeout_ms, RawDone done) {
  protocol::RequestHeader header;
  header.request_api_key = api_key;
  header.request_api_version = version;
  header.correlation_id = next_correlation_id_++;
  if (next_correlation_id_ == INT32_MAX) next_correlation_id_ = 1;
  header.client_id = client_id_;
  protocol::Writer frame;
  header.encode(frame, protocol::request_header_version(api_key, version));
  std::vector<uint8_t> bytes = frame.take();
  bytes.insert(bytes.end(), body.begin(), body.end());
  const int16_t header_version = protocol::response_header_version(api_key, version);
  connection_->send(header.correlation_id, std::move(bytes), timeout_ms,
                    [done = std::move(done), header_version](std::optional<std::vector<uint8_t>> answer) {
                      if (!answer) return done(std::nullopt, 0);
                      size_t body_offset = 0;
                      try {
                        protocol::Reader reader(*answer);
                        protocol::ResponseHeader response_header;
                        response_header.decode(reader, header_version);
                        body_offset = answer->size() - reader.remaining();
                      } catch (const protocol::DecodeError&) {
                        return done(std::nullopt, 0);
                      }
                      done(std::move(answer), body_offset);
                    });
}

}  // namespace freshet::server
