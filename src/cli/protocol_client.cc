#include "cli/protocol_client.h"

#include <fmt/core.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "cli/client.h"
#include "cli/errors.h"
#include "protocol/api_keys.h"

namespace freshet::cli {

namespace {

// Answers larger than this are refused (the broker's own cap is 2 GiB).
constexpr int32_t kMaxResponseBytes = 256 << 20;

// A connected TCP socket to "host:port", or -1.
int connect_to(const std::string& address, std::string& error) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    error = "expected host:port";
    return -1;
  }
  std::string host = address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port = address.substr(colon + 1);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    error = ::gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) continue;
    timeval timeout{kRequestTimeoutMs / 1000, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      error = std::strerror(errno);
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  return fd;
}

}  // namespace

ProtocolConnection::ProtocolConnection(const std::string& brokers) {
  std::string last_error;
  size_t start = 0;
  while (fd_ < 0 && start <= brokers.size()) {
    size_t end = std::min(brokers.find(',', start), brokers.size());
    std::string address = brokers.substr(start, end - start);
    start = end + 1;
    if (address.empty()) continue;
    fd_ = connect_to(address, last_error);
    if (fd_ >= 0) address_ = address;
  }
  if (fd_ < 0)
    throw CommandError(fmt::format("cannot connect to any broker of {}: {}", brokers, last_error));
  // ApiVersions v0: every broker answers it.
  std::vector<uint8_t> payload = round_trip(protocol::ApiVersionsRequest::kApiKey, 0, {});
  protocol::ApiVersionsResponse versions;
  decode(payload, [&](protocol::Reader& r) { versions.decode(r, 0); });
  if (versions.error_code != 0)
    throw CommandError(fmt::format("{} refused ApiVersions ({})", address_,
                                   kafka_error_name(static_cast<rd_kafka_resp_err_t>(versions.error_code))));
  for (const auto& api : versions.api_keys) versions_[api.api_key] = {api.min_version, api.max_version};
}

ProtocolConnection::~ProtocolConnection() {
  if (fd_ >= 0) ::close(fd_);
}

void ProtocolConnection::decode(const std::vector<uint8_t>& payload,
                                const std::function<void(protocol::Reader&)>& decode_body) const {
  try {
    protocol::Reader r(payload);
    decode_body(r);
  } catch (const protocol::DecodeError& e) {
    throw CommandError(fmt::format("broker {} sent a malformed response: {}", address_, e.what()));
  }
}

int16_t ProtocolConnection::negotiate(int16_t api_key, int16_t min_version, int16_t max_version) const {
  auto it = versions_.find(api_key);
  const protocol::ApiInfo* info = protocol::find_api(api_key);
  const std::string name = info ? std::string(info->name) : std::to_string(api_key);
  if (it == versions_.end() || it->second.second < min_version || it->second.first > max_version)
    throw CommandError(fmt::format("broker {} does not serve {} (UNSUPPORTED_VERSION)", address_, name));
  return std::min(max_version, it->second.second);
}

std::vector<uint8_t> ProtocolConnection::round_trip(int16_t api_key, int16_t version,
                                                    const std::vector<uint8_t>& body) {
  protocol::RequestHeader header;
  header.request_api_key = api_key;
  header.request_api_version = version;
  header.correlation_id = next_correlation_id_++;
  header.client_id = "freshet-cli";
  protocol::Writer frame;
  frame.i32(0);  // size, patched below
  header.encode(frame, protocol::request_header_version(api_key, version));
  std::vector<uint8_t> bytes = frame.take();
  bytes.insert(bytes.end(), body.begin(), body.end());
  const uint32_t size = static_cast<uint32_t>(bytes.size() - 4);
  for (int i = 0; i < 4; ++i) bytes[i] = static_cast<uint8_t>(size >> (24 - 8 * i));
  write_all(bytes);

  std::vector<uint8_t> prefix = read_exact(4);
  protocol::Reader size_reader(prefix);
  const int32_t response_size = size_reader.i32();
  if (response_size < 4 || response_size > kMaxResponseBytes)
    throw CommandError(fmt::format("broker {} sent a malformed response ({} bytes)", address_, response_size));
  std::vector<uint8_t> payload = read_exact(static_cast<size_t>(response_size));
  std::vector<uint8_t> response_body;
  decode(payload, [&](protocol::Reader& r) {
    protocol::ResponseHeader response_header;
    response_header.decode(r, protocol::response_header_version(api_key, version));
    if (response_header.correlation_id != header.correlation_id)
      throw CommandError(fmt::format("broker {} answered another request", address_));
    response_body.assign(payload.end() - static_cast<std::ptrdiff_t>(r.remaining()), payload.end());
  });
  return response_body;
}

void ProtocolConnection::write_all(const std::vector<uint8_t>& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw CommandError(fmt::format("lost the connection to {}: {}", address_, std::strerror(errno)));
    sent += static_cast<size_t>(n);
  }
}

std::vector<uint8_t> ProtocolConnection::read_exact(size_t size) {
  std::vector<uint8_t> out(size);
  size_t got = 0;
  while (got < size) {
    ssize_t n = ::recv(fd_, out.data() + got, size - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) throw CommandError(fmt::format("broker {} closed the connection", address_));
    if (n < 0) throw CommandError(fmt::format("no answer from {}: {}", address_, std::strerror(errno)));
    got += static_cast<size_t>(n);
  }
  return out;
}

}  // namespace freshet::cli
