// Connection over real loopback sockets when things go wrong or run out: a
// handler that throws, synchronously or in a task on another shard, costs its
// connection and nothing else; request memory that is all in use pauses
// reading until it is returned; idle connections are closed.
#include <gtest/gtest.h>

#include <asio/connect.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "net/connection.h"
#include "net/shard.h"

namespace freshet::net {
namespace {

using namespace std::chrono_literals;

// Frames whose first byte is 'T' make the handler throw; 'A' makes it hand
// the responder to a task on shard 1 that throws; 'H' holds the responder
// (and so the frame) until release() is called; any other frame is answered
// at once with its own first byte.
class FaultyHandler : public RequestHandler {
 public:
  explicit FaultyHandler(ShardSet& shards) : shards_(shards) {}
  void handle(const ClientInfo&, std::shared_ptr<const std::vector<uint8_t>> frame, Responder respond) override {
    uint8_t kind = (*frame)[0];
    if (kind == 'T') throw std::runtime_error("injected handler failure");
    if (kind == 'A') {
      shards_.post(1, [respond] {
        (void)respond;
        throw std::runtime_error("injected failure in a task on another shard");
      });
      return;
    }
    if (kind == 'H') {
      std::lock_guard lock(mutex_);
      held_.emplace_back(std::move(frame), std::move(respond));
      return;
    }
    respond(protocol::EncodedMessage{{0, 0, 0, 0, kind}, {}});
  }
  // Answers the held requests on shard 0 and drops their frames.
  void release() {
    shards_.post(0, [this] {
      std::lock_guard lock(mutex_);
      for (auto& [frame, respond] : held_) respond(protocol::EncodedMessage{{0, 0, 0, 0, 'H'}, {}});
      held_.clear();
    });
  }

 private:
  ShardSet& shards_;
  std::mutex mutex_;
  std::vector<std::pair<std::shared_ptr<const std::vector<uint8_t>>, Responder>> held_;
};

// Two shards; connections are accepted and live on shard 0.
class ConnectionFaults : public ::testing::Test {
 protected:
  void serve(ConnectionLimits limits, ConnectionResources resources) {
    resources_ = std::move(resources);
    limits_ = limits;
    shards_.start();
    accept_next();
  }
  void TearDown() override {
    shards_.post(0, [this] { acceptor_.close(); });
    shards_.stop();
  }
  void accept_next() {
    acceptor_.async_accept([this](asio::error_code ec, asio::ip::tcp::socket socket) {
      if (ec) return;
      ASSERT_TRUE(resources_.quotas->try_open("127.0.0.1"));
      std::make_shared<Connection>(std::move(socket), "127.0.0.1", "PLAINTEXT", handler_, limits_, resources_, frames_)->start();
      accept_next();
    });
  }
  asio::ip::tcp::socket connect() {
    asio::ip::tcp::socket socket(client_context_);
    socket.connect(endpoint_);
    return socket;
  }
  static void send_frame(asio::ip::tcp::socket& socket, uint8_t kind, size_t size = 8) {
    std::vector<uint8_t> frame(4 + size, 0);
    frame[0] = uint8_t(size >> 24), frame[1] = uint8_t(size >> 16), frame[2] = uint8_t(size >> 8), frame[3] = uint8_t(size);
    frame[4] = kind;
    asio::write(socket, asio::buffer(frame));
  }
  // The kind byte of the next response, or -1 once the broker closed the socket.
  static int read_response(asio::ip::tcp::socket& socket) {
    uint8_t response[5];
    asio::error_code ec;
    asio::read(socket, asio::buffer(response), ec);
    return ec ? -1 : response[4];
  }
  // Whether the socket has a response ready within `wait` (without reading it).
  static bool readable_within(asio::ip::tcp::socket& socket, std::chrono::milliseconds wait) {
    auto deadline = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < deadline) {
      if (socket.available() > 0) return true;
      std::this_thread::sleep_for(5ms);
    }
    return false;
  }

  ShardSet shards_{2};
  FaultyHandler handler_{shards_};
  asio::ip::tcp::acceptor acceptor_{shards_.context(0), {asio::ip::make_address("127.0.0.1"), 0}};
  asio::ip::tcp::endpoint endpoint_ = acceptor_.local_endpoint();
  std::shared_ptr<FramePool> frames_ = std::make_shared<FramePool>(FramePoolLimits{});
  ConnectionLimits limits_;
  ConnectionResources resources_;
  asio::io_context client_context_;
};

ConnectionResources resources_with_memory(int64_t capacity_bytes) {
  return {std::make_shared<RequestMemory>(capacity_bytes), std::make_shared<ConnectionQuotas>(ConnectionQuotaLimits{})};
}

TEST_F(ConnectionFaults, AHandlerThatThrowsClosesOnlyItsConnection) {
  serve({}, resources_with_memory(-1));
  auto bystander = connect();
  auto victim = connect();
  send_frame(victim, 'T');
  EXPECT_EQ(read_response(victim), -1);
  send_frame(bystander, 'x');
  EXPECT_EQ(read_response(bystander), 'x');
}

TEST_F(ConnectionFaults, ATaskThatThrowsOnAnotherShardClosesItsConnectionAndTheShardGoesOn) {
  serve({}, resources_with_memory(-1));
  auto victim = connect();
  send_frame(victim, 'A');
  EXPECT_EQ(read_response(victim), -1) << "the dropped responder closes the connection";
  std::promise<bool> shard_alive;
  shards_.post(1, [&] { shard_alive.set_value(true); });
  EXPECT_EQ(shard_alive.get_future().wait_for(5s), std::future_status::ready);
  auto next = connect();
  send_frame(next, 'y');
  EXPECT_EQ(read_response(next), 'y');
  EXPECT_EQ(resources_.quotas->open_connections(), 1);
}

TEST_F(ConnectionFaults, ReadingPausesWhileRequestMemoryIsInUseAndResumesWhenReturned) {
  serve({}, resources_with_memory(1000));
  auto holder = connect();
  send_frame(holder, 'H', 2000);  // granted while budget is left: overshoots by one request
  auto waiting = connect();
  send_frame(waiting, 'z', 100);
  EXPECT_FALSE(readable_within(waiting, 300ms)) << "no memory left: the request must wait, not fail";
  handler_.release();
  EXPECT_EQ(read_response(holder), 'H');
  EXPECT_EQ(read_response(waiting), 'z');
  // Every reservation is back once the frames are gone.
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (resources_.memory->available_bytes() != 1000 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  EXPECT_EQ(resources_.memory->available_bytes(), 1000);
}

TEST_F(ConnectionFaults, AnIdleConnectionIsClosedAndABusyOneIsNot) {
  ConnectionLimits limits;
  limits.max_idle_ms = 200;
  serve(limits, resources_with_memory(-1));
  auto busy = connect();
  send_frame(busy, 'H');  // a request in hand keeps it busy
  auto idle = connect();
  auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(read_response(idle), -1);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 150ms);
  handler_.release();
  EXPECT_EQ(read_response(busy), 'H');
}

TEST(ConnectionQuotas, PerIpLimitAndWaitingForASlotBelowTheMaximum) {
  ConnectionQuotas quotas({2, 1});
  EXPECT_TRUE(quotas.try_open("10.0.0.1"));
  EXPECT_FALSE(quotas.try_open("10.0.0.1")) << "max.connections.per.ip=1";
  EXPECT_TRUE(quotas.try_open("10.0.0.2"));
  bool woken = false;
  quotas.when_below_max([&] { woken = true; });
  EXPECT_FALSE(woken) << "max.connections=2 are open";
  quotas.closed("10.0.0.1");
  EXPECT_TRUE(woken);
  EXPECT_TRUE(quotas.try_open("10.0.0.1"));
}

}  // namespace
}  // namespace freshet::net
