// Connection over a real loopback socket: responses come back in request
// order whatever order they complete in, and a file slice in a response
// arrives byte for byte both by sendfile and by the in-memory copy.
#include <gtest/gtest.h>
#include <unistd.h>

#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

#include <fcntl.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "net/connection.h"

namespace freshet::net {
namespace {

// A file of `size` patterned bytes, open for reading until destroyed.
struct PatternFile {
  explicit PatternFile(size_t size) : path(std::filesystem::temp_directory_path() / ("freshet-net-test-" + std::to_string(::getpid()))) {
    for (size_t i = 0; i < size; ++i) bytes.push_back(static_cast<uint8_t>(i * 31 + 7));
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(size));
    fd = std::shared_ptr<int>(new int(::open(path.c_str(), O_RDONLY)), [](int* p) {
      ::close(*p);
      delete p;
    });
  }
  ~PatternFile() { std::filesystem::remove(path); }
  std::filesystem::path path;
  std::vector<uint8_t> bytes;
  std::shared_ptr<int> fd;
};

ConnectionResources unbounded_resources() {
  return {std::make_shared<RequestMemory>(-1), std::make_shared<ConnectionQuotas>(ConnectionQuotaLimits{})};
}

// Answers frame k (its first byte) with "k" followed by `slice_bytes` of the
// file from offset k, completing the answers in reverse order once `batch`
// frames have arrived.
class SliceHandler : public RequestHandler {
 public:
  SliceHandler(asio::io_context& context, const PatternFile& file, size_t slice_bytes, size_t batch)
      : context_(context), file_(file), slice_bytes_(slice_bytes), batch_(batch) {}
  void handle(const ClientInfo&, std::shared_ptr<const std::vector<uint8_t>> frame, Responder respond) override {
    pending_.emplace_back((*frame)[0], std::move(respond));
    if (pending_.size() < batch_) return;
    for (auto it = pending_.rbegin(); it != pending_.rend(); ++it) {
      asio::post(context_, [this, key = it->first, respond = std::move(it->second)] {
        protocol::EncodedMessage message;
        message.bytes = {0, 0, 0, 0, key};
        protocol::Records records;
        records.file = protocol::FileSlice{*file_.fd, key, slice_bytes_};
        records.owner = file_.fd;
        message.externals.emplace_back(message.bytes.size(), records);
        respond(std::move(message));
      });
    }
    pending_.clear();
  }

 private:
  asio::io_context& context_;
  const PatternFile& file_;
  size_t slice_bytes_;
  size_t batch_;
  std::vector<std::pair<uint8_t, Responder>> pending_;
};

void expect_slices_arrive_in_order(FileSliceTransfer transfer) {
  constexpr size_t kSliceBytes = 3 * 1024 * 1024;  // more than a socket buffer: sendfile must wait for room
  constexpr uint8_t kRequests = 3;
  PatternFile file(kSliceBytes + kRequests);
  asio::io_context context;
  asio::ip::tcp::acceptor acceptor(context, {asio::ip::make_address("127.0.0.1"), 0});
  SliceHandler handler(context, file, kSliceBytes, kRequests);
  ConnectionLimits limits;
  limits.file_slices = transfer;
  auto frames = std::make_shared<FramePool>(FramePoolLimits{});
  ConnectionResources resources = unbounded_resources();
  acceptor.async_accept([&](asio::error_code ec, asio::ip::tcp::socket socket) {
    ASSERT_FALSE(ec);
    ASSERT_TRUE(resources.quotas->try_open("127.0.0.1"));
    std::make_shared<Connection>(std::move(socket), "127.0.0.1", "PLAINTEXT", handler, limits, resources, frames)->start();
  });
  std::thread reactor([&] { context.run(); });

  asio::io_context client_context;
  asio::ip::tcp::socket client(client_context);
  client.connect(acceptor.local_endpoint());
  for (uint8_t key = 0; key < kRequests; ++key) {
    std::vector<uint8_t> request = {0, 0, 0, 8, key, 0, 0, 0, 0, 0, 0, 0};
    asio::write(client, asio::buffer(request));
  }
  for (uint8_t key = 0; key < kRequests; ++key) {
    uint8_t size_prefix[4];
    asio::read(client, asio::buffer(size_prefix));
    uint32_t size = (uint32_t(size_prefix[0]) << 24) | (uint32_t(size_prefix[1]) << 16) |
                    (uint32_t(size_prefix[2]) << 8) | size_prefix[3];
    ASSERT_EQ(size, 1 + kSliceBytes);
    std::vector<uint8_t> body(size);
    asio::read(client, asio::buffer(body));
    EXPECT_EQ(body[0], key) << "responses in request order";
    EXPECT_TRUE(std::equal(body.begin() + 1, body.end(), file.bytes.begin() + key)) << "slice " << int(key);
  }
  client.close();
  context.stop();
  reactor.join();
}

TEST(Connection, FileSlicesArriveInRequestOrderBySendfile) { expect_slices_arrive_in_order(FileSliceTransfer::kSendfile); }

TEST(Connection, FileSlicesArriveInRequestOrderByCopy) { expect_slices_arrive_in_order(FileSliceTransfer::kCopy); }

}  // namespace
}  // namespace freshet::net
