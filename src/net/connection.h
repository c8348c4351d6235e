// One client connection, living on one shard: reads size-prefixed request
// frames, hands each to a RequestHandler, and writes the responses back in
// request order even when they complete out of order (pipelining).
// Record sets that are file slices (Fetch) are sent with sendfile, except to
// peers on this host, which get them read into memory (see is_same_host).
//
// Two coroutines on the shard's io_context do the work: the reader parses
// frames out of a receive buffer and dispatches them; the writer sends every
// response at the head of the queue that is complete, in one gathered write.
// A third closes the connection once idle for connections.max.idle.ms. Each
// holds the connection alive until the socket closes.
//
// What a client can make a connection hold is bounded: a frame's size is
// reserved from the broker-wide RequestMemory when its prefix arrives (reading
// pauses while none is left) and its buffer grows with the bytes that arrived;
// at most max_in_flight_requests requests, and max_in_flight_bytes of request
// and response bytes, are held before reading pauses (one always fits).
//
// Contract with the handler: for every frame passed to handle(), the handler
// calls the Responder once, on this connection's shard, with either the
// response bytes (starting with 4 reserved bytes for the size prefix, which the
// connection fills in) or std::nullopt when the request gets no response
// (Produce with acks=0), or calls Responder::fail. A Responder dropped without
// either, and a handler that throws, close the connection.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/connection_quotas.h"
#include "net/frame_pool.h"
#include "net/request_memory.h"
#include "net/responder.h"
#include "protocol/wire.h"

namespace freshet::net {

// How record sets that are file slices reach the client: sendfile, or read
// into memory and written; kAuto copies for same-host peers (see is_same_host
// in connection.cc) and uses sendfile otherwise. The broker sets it from
// freshet.fetch.file.transfer.
enum class FileSliceTransfer { kAuto, kSendfile, kCopy };

struct ConnectionLimits {
  int32_t max_request_bytes = 100 * 1024 * 1024;  // socket.request.max.bytes
  size_t max_in_flight_requests = 500;            // queued.max.requests: reading pauses beyond this...
  size_t max_in_flight_bytes = 8 * 1024 * 1024;   // ...or this many request and response bytes
  int64_t max_idle_ms = 600000;                   // connections.max.idle.ms (<= 0: never)
  int32_t send_buffer_bytes = -1;                 // socket.send.buffer.bytes (-1: the OS's)
  int32_t receive_buffer_bytes = -1;              // socket.receive.buffer.bytes (-1: the OS's)
  FileSliceTransfer file_slices = FileSliceTransfer::kAuto;  // freshet.fetch.file.transfer
};

// What every connection of a broker shares; outlives each connection.
struct ConnectionResources {
  std::shared_ptr<RequestMemory> memory;
  std::shared_ptr<ConnectionQuotas> quotas;  // the connection was counted in it (try_open)
};

// Who sent a request, and through which listener.
struct ClientInfo {
  std::string peer;      // for logs: "127.0.0.1:53422"
  std::string listener;  // the listener's name: "PLAINTEXT"
  uint64_t connection_id = 0;  // unique among this process's connections
};

class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // The frame excludes the 4-byte size prefix and stays alive until the
  // Responder runs.
  virtual void handle(const ClientInfo& client, std::shared_ptr<const std::vector<uint8_t>> frame,
                      Responder respond) = 0;
  // The connection closed (the peer went away, or it was closed here); once,
  // on the connection's thread.
  virtual void connection_closed(const ClientInfo&) {}
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // Request frames come from (and go back to) `frames`; `peer_ip` is the
  // address `resources.quotas` counted this connection under; `listener` the
  // name of the listener that accepted it.
  Connection(asio::ip::tcp::socket socket, std::string peer_ip, std::string listener, RequestHandler& handler,
             ConnectionLimits limits, ConnectionResources resources, std::shared_ptr<FramePool> frames);
  ~Connection();
  // Starts the reader, the writer and the idle check; the connection lives until closed.
  void start();
  void close(const std::string& reason);

 private:
  struct Slot {
    uint64_t sequence;
    size_t request_bytes;
    bool ready = false;
    ResponseBytes bytes;
  };

  asio::awaitable<void> read_loop();
  asio::awaitable<void> write_loop();
  asio::awaitable<void> idle_loop();
  // A reservation of `frame_bytes` of request memory, waiting while none is
  // left; nullopt once the connection is closed.
  asio::awaitable<std::optional<MemoryReservation>> reserve_memory(size_t frame_bytes);
  // The next whole frame: from the receive buffer when it holds one, else
  // read from the socket (a large body straight into its frame buffer).
  // Null once the connection is closed.
  asio::awaitable<std::shared_ptr<std::vector<uint8_t>>> read_frame();
  // Reads more into the receive buffer, first moving what is left to its front.
  asio::awaitable<bool> receive_more(bool mid_frame);
  size_t buffered() const { return receive_end_ - receive_begin_; }
  // Reads at least one more byte into `out`; false (connection closed) on
  // error or end of stream, `mid_frame` saying whether that truncated a frame.
  asio::awaitable<bool> read_some(asio::mutable_buffer out, size_t& filled, bool mid_frame);
  // Wakes the reader only once `bytes` are buffered (SO_RCVLOWAT): a large
  // frame body is then read with one recv instead of one per TCP segment burst.
  void set_receive_low_watermark(size_t missing_bytes);
  // False (connection closed) when the peer is gone.
  asio::awaitable<bool> write_buffers(const std::vector<asio::const_buffer>& buffers);
  // A file slice's bytes read into memory; null (connection closed) when the
  // file no longer holds them.
  std::unique_ptr<uint8_t[]> read_file(const protocol::FileSlice& slice);
  // Sends a file slice from the page cache (sendfile); false when closed.
  asio::awaitable<bool> send_file(const protocol::FileSlice& slice);
  void dispatch(std::shared_ptr<std::vector<uint8_t>> frame);
  void complete(uint64_t sequence, ResponseBytes bytes);
  // Closes the connection from any thread (a request failed or was dropped).
  void close_from_any_thread(std::string reason);
  // Moves the complete responses at the head of the queue into writing_.
  void take_ready_responses();
  bool can_read_more() const {
    return (slots_.empty() && writing_bytes_ == 0) ||
           (slots_.size() < limits_.max_in_flight_requests &&
            in_flight_bytes_ + writing_bytes_ < limits_.max_in_flight_bytes);
  }
  void note_activity() { last_activity_ = std::chrono::steady_clock::now(); }

  asio::ip::tcp::socket socket_;
  std::string peer_ip_;
  RequestHandler& handler_;
  ConnectionLimits limits_;
  ConnectionResources resources_;
  std::shared_ptr<FramePool> frames_;
  ClientInfo client_;
  bool send_files_;  // sendfile for file slices, else read them into memory
  // Received bytes not yet parsed into frames: [receive_begin_, receive_end_).
  std::vector<uint8_t> receive_buffer_;
  size_t receive_begin_ = 0;
  size_t receive_end_ = 0;
  int receive_low_watermark_ = 1;
  std::deque<Slot> slots_;  // in request order
  uint64_t next_sequence_ = 0;
  size_t in_flight_bytes_ = 0;  // request and response bytes of slots_
  size_t writing_bytes_ = 0;    // response bytes of writing_
  std::chrono::steady_clock::time_point last_activity_;
  // Events, as timers that never expire and are cancelled to wake their waiter.
  asio::steady_timer reader_wakeup_;  // reading may resume (in-flight limits) or closed
  asio::steady_timer writer_wakeup_;  // a response completed or closed
  asio::steady_timer memory_wakeup_;  // request memory was returned or closed
  asio::steady_timer idle_timer_;
  bool closed_ = false;
  std::vector<protocol::EncodedMessage> writing_;  // kept alive until written
};

}  // namespace freshet::net
