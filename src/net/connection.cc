#include "net/connection.h"

#include <atomic>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <spdlog/spdlog.h>

#include <sys/sendfile.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace freshet::net {

namespace {
// Frames up to this size (with their prefix) are parsed out of the receive
// buffer, several per recv when the client pipelines; larger bodies are read
// straight into their own frame buffer.
constexpr size_t kReceiveBufferBytes = 64 * 1024;
constexpr size_t kSizePrefixBytes = 4;
// A frame body at least this much short of complete is waited for with
// SO_RCVLOWAT, capped at the maximum (the kernel also caps it at half the
// receive buffer, and wakes the reader anyway when the receive window closes).
constexpr size_t kMinBodyLowWatermarkBytes = 64 * 1024;
constexpr size_t kMaxBodyLowWatermarkBytes = 1024 * 1024;

std::string describe_peer(const asio::ip::tcp::socket& socket) {
  asio::error_code ec;
  auto ep = socket.remote_endpoint(ec);
  if (ec) return "unknown peer";
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

// A peer on this host (a loopback address): it reads a response on a core
// sharing our caches, so bytes copied through them (pread + write) reach it
// faster than sendfile's references to page-cache pages it must fetch from
// memory; measured with bench/run_broker_bench.sh (consume 100 B: 3.9 M vs
// 3.3 M msgs/s). Remote peers get sendfile, which spares our CPU.
bool is_same_host(const asio::ip::tcp::socket& socket) {
  asio::error_code ec;
  auto ep = socket.remote_endpoint(ec);
  return !ec && ep.address().is_loopback();
}


// The in-memory bytes a response holds while queued (file slices hold none).
size_t held_bytes(const ResponseBytes& bytes) {
  if (!bytes) return 0;
  size_t total = bytes->bytes.size();
  for (const auto& [position, records] : bytes->externals)
    if (!records.file) total += records.bytes.size();
  return total;
}

int64_t read_size_prefix(const uint8_t* p) {
  return static_cast<int32_t>((uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]));
}
}  // namespace

namespace {
uint64_t next_connection_id() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace

Connection::Connection(asio::ip::tcp::socket socket, std::string peer_ip, std::string listener, RequestHandler& handler,
                       ConnectionLimits limits, ConnectionResources resources, std::shared_ptr<FramePool> frames)
    : socket_(std::move(socket)),
      peer_ip_(std::move(peer_ip)),
      handler_(handler),
      limits_(limits),
      resources_(std::move(resources)),
      frames_(std::move(frames)),
      client_{describe_peer(socket_), std::move(listener), next_connection_id()},
      send_files_(limits.file_slices == FileSliceTransfer::kSendfile ||
                  (limits.file_slices == FileSliceTransfer::kAuto && !is_same_host(socket_))),
      receive_buffer_(kReceiveBufferBytes),
      last_activity_(std::chrono::steady_clock::now()),
      reader_wakeup_(socket_.get_executor(), asio::steady_timer::time_point::max()),
      writer_wakeup_(socket_.get_executor(), asio::steady_timer::time_point::max()),
      memory_wakeup_(socket_.get_executor(), asio::steady_timer::time_point::max()),
      idle_timer_(socket_.get_executor()) {
  asio::error_code ec;
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  if (limits.send_buffer_bytes > 0) socket_.set_option(asio::socket_base::send_buffer_size(limits.send_buffer_bytes), ec);
  if (limits.receive_buffer_bytes > 0)
    socket_.set_option(asio::socket_base::receive_buffer_size(limits.receive_buffer_bytes), ec);
  socket_.native_non_blocking(true, ec);  // sendfile() must not block the shard
}

Connection::~Connection() {
  if (!closed_) resources_.quotas->closed(peer_ip_);
}

void Connection::start() {
  auto self = shared_from_this();
  asio::co_spawn(socket_.get_executor(), [self] { return self->read_loop(); }, asio::detached);
  asio::co_spawn(socket_.get_executor(), [self] { return self->write_loop(); }, asio::detached);
  if (limits_.max_idle_ms > 0) asio::co_spawn(socket_.get_executor(), [self] { return self->idle_loop(); }, asio::detached);
}

void Connection::close(const std::string& reason) {
  if (closed_) return;
  closed_ = true;
  resources_.quotas->closed(peer_ip_);
  if (!reason.empty()) spdlog::warn("closing connection from {}: {}", client_.peer, reason);
  asio::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  reader_wakeup_.cancel();
  writer_wakeup_.cancel();
  memory_wakeup_.cancel();
  idle_timer_.cancel();
  handler_.connection_closed(client_);
}

void Connection::close_from_any_thread(std::string reason) {
  asio::post(socket_.get_executor(), [self = shared_from_this(), reason = std::move(reason)] { self->close(reason); });
}

// Checks a few times per idle period; a connection with requests in hand or
// responses being written is busy, not idle.
asio::awaitable<void> Connection::idle_loop() {
  auto max_idle = std::chrono::milliseconds(limits_.max_idle_ms);
  auto check_every = std::max<std::chrono::milliseconds>(max_idle / 4, std::chrono::milliseconds(10));
  while (!closed_) {
    idle_timer_.expires_after(check_every);
    asio::error_code ec;
    co_await idle_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (closed_) co_return;
    bool busy = !slots_.empty() || writing_bytes_ > 0;
    if (busy) note_activity();
    if (std::chrono::steady_clock::now() - last_activity_ >= max_idle)
      close(fmt::format("idle for more than connections.max.idle.ms={}", limits_.max_idle_ms));
  }
}

asio::awaitable<void> Connection::read_loop() {
  while (!closed_) {
    if (!can_read_more()) {  // resumed by the writer once responses drain
      asio::error_code ignored;
      co_await reader_wakeup_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      continue;
    }
    auto frame = co_await read_frame();
    if (!frame) co_return;
    dispatch(std::move(frame));
  }
}

asio::awaitable<std::shared_ptr<std::vector<uint8_t>>> Connection::read_frame() {
  while (buffered() < kSizePrefixBytes)
    if (!co_await receive_more(buffered() > 0)) co_return nullptr;
  int64_t size = read_size_prefix(receive_buffer_.data() + receive_begin_);
  if (size < 8 || size > limits_.max_request_bytes) {
    close(fmt::format("request size {} outside [8, socket.request.max.bytes={}]", size, limits_.max_request_bytes));
    co_return nullptr;
  }
  auto frame_bytes = static_cast<size_t>(size);
  auto reservation = co_await reserve_memory(frame_bytes);
  if (!reservation) co_return nullptr;
  if (kSizePrefixBytes + frame_bytes <= receive_buffer_.size()) {
    while (buffered() < kSizePrefixBytes + frame_bytes)
      if (!co_await receive_more(true)) co_return nullptr;
  }
  receive_begin_ += kSizePrefixBytes;
  // The buffer grows with the bytes that arrived (doubling), so a client
  // announcing a large request but sending little of it holds little memory.
  size_t filled = std::min(frame_bytes, buffered());
  auto frame = frames_->take(std::min(frame_bytes, std::max(filled, kReceiveBufferBytes)), std::move(*reservation));
  std::memcpy(frame->data(), receive_buffer_.data() + receive_begin_, filled);
  receive_begin_ += filled;
  if (receive_begin_ == receive_end_) receive_begin_ = receive_end_ = 0;

  // A large body: the receive buffer is empty now; read the rest in place.
  while (filled < frame_bytes) {
    if (filled == std::min(frame->size(), frame_bytes)) frame->resize(std::min(frame_bytes, 2 * filled));
    size_t room = std::min(frame->size(), frame_bytes);
    set_receive_low_watermark(frame_bytes - filled);
    if (!co_await read_some(asio::buffer(frame->data() + filled, room - filled), filled, true)) co_return nullptr;
  }
  frame->resize(frame_bytes);  // a recycled buffer may be longer
  set_receive_low_watermark(0);
  co_return frame;
}

asio::awaitable<std::optional<MemoryReservation>> Connection::reserve_memory(size_t frame_bytes) {
  bool paused = false;
  while (!closed_) {
    if (auto reservation = resources_.memory->try_reserve(frame_bytes)) {
      if (paused) spdlog::debug("connection from {} resumes reading: request memory is available", client_.peer);
      co_return reservation;
    }
    if (!paused) spdlog::debug("connection from {} pauses reading: queued.max.request.bytes is in use", client_.peer);
    paused = true;
    resources_.memory->when_available([self = shared_from_this()] {
      asio::post(self->socket_.get_executor(), [self] { self->memory_wakeup_.cancel(); });
    });
    asio::error_code ignored;
    co_await memory_wakeup_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  co_return std::nullopt;
}

asio::awaitable<bool> Connection::receive_more(bool mid_frame) {
  std::memmove(receive_buffer_.data(), receive_buffer_.data() + receive_begin_, buffered());
  receive_end_ -= receive_begin_;
  receive_begin_ = 0;
  co_return co_await read_some(asio::buffer(receive_buffer_) + receive_end_, receive_end_, mid_frame);
}

asio::awaitable<bool> Connection::read_some(asio::mutable_buffer out, size_t& filled, bool mid_frame) {
  asio::error_code ec;
  size_t n = co_await socket_.async_read_some(out, asio::redirect_error(asio::use_awaitable, ec));
  if (!ec) {
    filled += n;
    note_activity();
    co_return true;
  }
  if (closed_ || !mid_frame) {
    close("");
  } else if (ec == asio::error::eof) {
    close("the client closed it in the middle of a request");
  } else {
    close("truncated request: " + ec.message());
  }
  co_return false;
}

void Connection::set_receive_low_watermark(size_t missing_bytes) {
  int bytes = missing_bytes >= kMinBodyLowWatermarkBytes
                  ? static_cast<int>(std::min(missing_bytes, kMaxBodyLowWatermarkBytes))
                  : 1;
  if (bytes == receive_low_watermark_) return;
  asio::error_code ec;
  socket_.set_option(asio::socket_base::receive_low_watermark(bytes), ec);
  if (!ec) receive_low_watermark_ = bytes;
}

void Connection::dispatch(std::shared_ptr<std::vector<uint8_t>> frame) {
  uint64_t sequence = next_sequence_++;
  slots_.push_back(Slot{sequence, frame->size(), false, std::nullopt});
  in_flight_bytes_ += frame->size();
  // The responder owns the connection, so a late answer always finds it.
  Responder respond([self = shared_from_this(), sequence](ResponseBytes bytes) { self->complete(sequence, std::move(bytes)); },
                    [self = shared_from_this()](const std::string& reason) { self->close_from_any_thread(reason); });
  try {
    handler_.handle(client_, frame, respond);
  } catch (const std::exception& e) {
    respond.fail(std::string("request failed: ") + e.what());
  }
}

void Connection::complete(uint64_t sequence, ResponseBytes bytes) {
  if (closed_ || slots_.empty()) return;
  size_t index = static_cast<size_t>(sequence - slots_.front().sequence);
  if (index >= slots_.size()) return;
  Slot& slot = slots_[index];
  if (bytes) {
    size_t size = bytes->size() - kSizePrefixBytes;
    if (size > static_cast<size_t>(INT32_MAX)) {  // a handler bug: the size prefix cannot say it
      close(fmt::format("a response of {} bytes exceeds the protocol's 2 GiB frame limit", size));
      return;
    }
    auto prefix = static_cast<uint32_t>(size);
    for (int i = 3; i >= 0; --i, prefix >>= 8) bytes->bytes[i] = static_cast<uint8_t>(prefix);
  }
  slot.ready = true;
  in_flight_bytes_ += held_bytes(bytes);
  slot.bytes = std::move(bytes);
  if (index == 0) writer_wakeup_.cancel();
}

void Connection::take_ready_responses() {
  while (!slots_.empty() && slots_.front().ready) {
    size_t response_bytes = held_bytes(slots_.front().bytes);
    if (slots_.front().bytes) writing_.push_back(std::move(*slots_.front().bytes));
    in_flight_bytes_ -= slots_.front().request_bytes + response_bytes;
    writing_bytes_ += response_bytes;
    slots_.pop_front();
  }
  if (can_read_more()) reader_wakeup_.cancel();
}

// Requests without a response (acks=0) just leave the queue.
asio::awaitable<void> Connection::write_loop() {
  std::vector<asio::const_buffer> buffers;
  while (!closed_) {
    take_ready_responses();
    if (writing_.empty()) {
      asio::error_code ignored;
      co_await writer_wakeup_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      continue;
    }
    // In-memory pieces go out in gathered writes; a file slice between them
    // by sendfile, or read into memory and gathered too (same-host peers).
    bool ok = true;
    buffers.clear();
    std::vector<std::unique_ptr<uint8_t[]>> file_copies;  // alive until written
    for (const auto& message : writing_) {
      size_t copied = 0;
      for (const auto& [position, records] : message.externals) {
        buffers.emplace_back(asio::buffer(message.bytes.data() + copied, position - copied));
        copied = position;
        if (records.file && send_files_) {
          if (ok) ok = co_await write_buffers(buffers);
          if (ok) ok = co_await send_file(*records.file);
          buffers.clear();
        } else if (records.file) {
          file_copies.push_back(read_file(*records.file));
          if (!file_copies.back()) ok = false;
          buffers.emplace_back(asio::buffer(file_copies.back().get(), records.file->size_bytes));
        } else {
          buffers.emplace_back(asio::buffer(records.bytes.data(), records.bytes.size()));
        }
      }
      buffers.emplace_back(asio::buffer(message.bytes.data() + copied, message.bytes.size() - copied));
    }
    if (ok) ok = co_await write_buffers(buffers);
    writing_.clear();
    writing_bytes_ = 0;
    note_activity();
    if (!ok) close("");
  }
}

asio::awaitable<bool> Connection::write_buffers(const std::vector<asio::const_buffer>& buffers) {
  if (closed_) co_return false;
  if (asio::buffer_size(buffers) == 0) co_return true;
  asio::error_code ec;
  co_await asio::async_write(socket_, buffers, asio::redirect_error(asio::use_awaitable, ec));
  co_return !ec;
}

std::unique_ptr<uint8_t[]> Connection::read_file(const protocol::FileSlice& slice) {
  std::unique_ptr<uint8_t[]> bytes(new uint8_t[slice.size_bytes]);
  size_t done = 0;
  while (done < slice.size_bytes) {
    ssize_t n = ::pread(slice.fd, bytes.get() + done, slice.size_bytes - done, static_cast<off_t>(slice.position + done));
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n == 0 || errno != EINTR) {  // the file shrank under us, or cannot be read
      close(fmt::format("cannot read {} bytes of a response from its log file: {}", slice.size_bytes - done,
                        n == 0 ? "end of file" : std::strerror(errno)));
      return nullptr;
    }
  }
  return bytes;
}

asio::awaitable<bool> Connection::send_file(const protocol::FileSlice& slice) {
  auto offset = static_cast<off_t>(slice.position);
  size_t left = slice.size_bytes;
  while (left > 0 && !closed_) {
    ssize_t sent = ::sendfile(socket_.native_handle(), slice.fd, &offset, left);
    if (sent > 0) {
      left -= static_cast<size_t>(sent);
    } else if (sent == 0) {  // the file shrank under us: the response frame cannot be completed
      close(fmt::format("log file ended {} bytes short of a response", left));
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      asio::error_code ec;
      co_await socket_.async_wait(asio::socket_base::wait_write, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) close("");
    } else if (errno != EINTR) {
      close(fmt::format("sendfile failed: {}", std::strerror(errno)));
    }
  }
  co_return !closed_;
}

}  // namespace freshet::net
