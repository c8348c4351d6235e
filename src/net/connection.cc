#include "net/connection.h"

#include <asio/read.hpp>
#include <asio/write.hpp>
#include <spdlog/spdlog.h>

namespace freshet::net {

namespace {
std::string describe_peer(const asio::ip::tcp::socket& socket) {
  asio::error_code ec;
  auto ep = socket.remote_endpoint(ec);
  if (ec) return "unknown peer";
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}
}  // namespace

Connection::Connection(asio::ip::tcp::socket socket, RequestHandler& handler, ConnectionLimits limits)
    : socket_(std::move(socket)), handler_(handler), limits_(limits), peer_(describe_peer(socket_)) {
  asio::error_code ec;
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
}

void Connection::start() { read_size(); }

void Connection::close(const std::string& reason) {
  if (closed_) return;
  closed_ = true;
  if (!reason.empty()) spdlog::warn("closing connection from {}: {}", peer_, reason);
  asio::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
}

void Connection::read_size() {
  if (closed_) return;
  if (!can_read_more()) {
    read_paused_ = true;  // resumed by write_ready() once responses drain
    return;
  }
  asio::async_read(socket_, asio::buffer(size_buf_), [self = shared_from_this()](asio::error_code ec, size_t) {
    if (ec) return self->close("");
    int32_t size = static_cast<int32_t>((uint32_t(self->size_buf_[0]) << 24) | (uint32_t(self->size_buf_[1]) << 16) |
                                        (uint32_t(self->size_buf_[2]) << 8) | uint32_t(self->size_buf_[3]));
    if (size < 8 || size > self->limits_.max_request_bytes) {
      return self->close(fmt::format("request size {} outside [8, socket.request.max.bytes={}]", size,
                                     self->limits_.max_request_bytes));
    }
    self->read_body(size);
  });
}

void Connection::read_body(int32_t size) {
  auto frame = std::make_shared<std::vector<uint8_t>>(static_cast<size_t>(size));
  asio::async_read(socket_, asio::buffer(*frame), [self = shared_from_this(), frame](asio::error_code ec, size_t) {
    if (ec) return self->close(ec == asio::error::eof ? "" : "truncated request: " + ec.message());
    self->dispatch(frame);
    self->read_size();
  });
}

void Connection::dispatch(std::shared_ptr<std::vector<uint8_t>> frame) {
  uint64_t sequence = next_sequence_++;
  slots_.push_back(Slot{sequence, frame->size(), false, std::nullopt});
  in_flight_bytes_ += frame->size();
  try {
    // The responder owns the connection: while reading is paused (too much
    // in flight) the requests waiting for their answers are all that keep it.
    handler_.handle(peer_, frame, [self = shared_from_this(), sequence](ResponseBytes bytes) {
      self->complete(sequence, std::move(bytes));
    });
  } catch (const std::exception& e) {
    close(std::string("malformed request: ") + e.what());
  }
}

void Connection::complete(uint64_t sequence, ResponseBytes bytes) {
  if (closed_ || slots_.empty()) return;
  size_t index = static_cast<size_t>(sequence - slots_.front().sequence);
  if (index >= slots_.size()) return;
  Slot& slot = slots_[index];
  slot.ready = true;
  if (bytes) {
    auto size = static_cast<uint32_t>(bytes->size() - 4);
    for (int i = 3; i >= 0; --i, size >>= 8) bytes->bytes[i] = static_cast<uint8_t>(size);
  }
  slot.bytes = std::move(bytes);
  write_ready();
}

// Writes every response at the head of the queue that is complete, in one
// gathered write; requests without a response just leave the queue.
void Connection::write_ready() {
  if (write_in_flight_ || closed_) return;
  while (!slots_.empty() && slots_.front().ready) {
    if (slots_.front().bytes) writing_.push_back(std::move(*slots_.front().bytes));
    in_flight_bytes_ -= slots_.front().request_bytes;
    slots_.pop_front();
  }
  if (read_paused_ && can_read_more()) {
    read_paused_ = false;
    read_size();
  }
  if (writing_.empty()) return;
  std::vector<asio::const_buffer> buffers;
  for (const auto& message : writing_) {
    size_t copied = 0;
    for (const auto& [position, records] : message.externals) {
      buffers.emplace_back(asio::buffer(message.bytes.data() + copied, position - copied));
      buffers.emplace_back(asio::buffer(records.bytes.data(), records.bytes.size()));
      copied = position;
    }
    buffers.emplace_back(asio::buffer(message.bytes.data() + copied, message.bytes.size() - copied));
  }
  write_in_flight_ = true;
  asio::async_write(socket_, buffers, [self = shared_from_this()](asio::error_code ec, size_t) {
    self->write_in_flight_ = false;
    self->writing_.clear();
    if (ec) return self->close("");
    self->write_ready();
  });
}

}  // namespace freshet::net
