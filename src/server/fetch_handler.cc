#include <asio/steady_timer.hpp>

#include <algorithm>
#include <tuple>

#include "protocol/errors.h"
#include "server/broker.h"
#include "server/fan_out.h"
#include "server/handlers.h"

namespace freshet::server {

namespace {
using protocol::ErrorCode;
using protocol::FetchRequest;
using protocol::FetchResponse;

struct FetchItem {
  size_t topic_index;
  size_t partition_index;
  protocol::Uuid topic_id;
  int32_t partition;
  int64_t fetch_offset;
  int32_t max_bytes;
  ReadOutcome outcome;
};

// One Fetch request from first read to response: reads every partition on
// its owner shard, and while fewer than min_bytes are available waits for new
// data or max_wait_ms, whichever comes first.
class FetchOperation : public std::enable_shared_from_this<FetchOperation> {
 public:
  FetchOperation(RequestPtr request, FetchRequest req)
      : request_(std::move(request)),
        req_(std::move(req)),
        timer_(request_->broker.shards().context(request_->shard)),
        deadline_(std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max(0, req_.max_wait_ms))) {}

  void start() {
    build_skeleton();
    attempt();
  }

 private:
  void build_skeleton() {
    Broker& broker = request_->broker;
    auto image = broker.image();
    bool by_id = request_->version() >= 13;
    by_shard_.resize(broker.shards().size());
    int32_t request_max = req_.max_bytes > 0 ? req_.max_bytes : INT32_MAX;
    for (size_t t = 0; t < req_.topics.size(); ++t) {
      const auto& ft = req_.topics[t];
      FetchResponse::FetchableTopicResponse topic_resp;
      topic_resp.topic = ft.topic;
      topic_resp.topic_id = ft.topic_id;
      const cluster::TopicInfo* topic = by_id ? image->topic(ft.topic_id) : image->topic(ft.topic);
      for (size_t p = 0; p < ft.partitions.size(); ++p) {
        const auto& fp = ft.partitions[p];
        FetchResponse::PartitionData data;
        data.partition_index = fp.partition;
        data.high_watermark = -1;
        data.records = protocol::Records{};
        if (!topic) {
          data.error_code = protocol::code(by_id ? ErrorCode::UnknownTopicId : ErrorCode::UnknownTopicOrPartition);
          has_error_ = true;
        } else if (fp.partition < 0 || static_cast<size_t>(fp.partition) >= topic->partitions.size()) {
          data.error_code = protocol::code(ErrorCode::UnknownTopicOrPartition);
          has_error_ = true;
        } else {
          by_shard_[broker.shard_of(*topic, fp.partition)].push_back(
              FetchItem{t, p, topic->id, fp.partition, fp.fetch_offset, std::min(fp.partition_max_bytes, request_max), {}});
        }
        topic_resp.partitions.push_back(std::move(data));
      }
      resp_.responses.push_back(std::move(topic_resp));
    }
  }

  void attempt() {
    auto self = shared_from_this();
    Broker& broker = request_->broker;
    fan_out<FetchItem>(
        broker.shards(), by_shard_,
        [&broker](unsigned shard, std::vector<FetchItem> items, auto reply) {
          for (auto& item : items) {
            auto partition = broker.partitions(shard).find(item.topic_id, item.partition);
            if (!partition) {
              item.outcome.error = ErrorCode::UnknownTopicOrPartition;
              continue;
            }
            item.outcome = partition->read(item.fetch_offset, item.max_bytes);
          }
          reply(std::move(items));
        },
        [self](std::vector<FetchItem>& items) {
          for (auto& item : items) self->results_.push_back(std::move(item));
        },
        [self] { self->attempted(); });
  }

  void attempted() {
    size_t bytes = 0;
    bool error = has_error_;
    for (const auto& item : results_) {
      if (item.outcome.records) bytes += item.outcome.records->bytes.size();
      if (item.outcome.error != ErrorCode::None) error = true;
    }
    bool satisfied = error || bytes >= static_cast<size_t>(std::max(req_.min_bytes, 1)) ||
                     std::chrono::steady_clock::now() >= deadline_;
    if (satisfied || req_.max_wait_ms <= 0) return respond();
    results_.clear();
    wait_for_data();
  }

  void wait_for_data() {
    auto self = shared_from_this();
    Broker& broker = request_->broker;
    waiter_ = broker.notifier().wait(request_->shard, [self] {
      self->waiter_.reset();
      self->timer_.cancel();
    });
    timer_.expires_at(deadline_);
    timer_.async_wait([self](asio::error_code) {
      if (self->waiter_) {  // deadline passed before data arrived
        self->request_->broker.notifier().cancel(self->request_->shard, *self->waiter_);
        self->waiter_.reset();
      }
      self->attempt();
    });
  }

  // Fills the response in request order, keeping the total under max_bytes
  // (the first partition with data always gets its first batch).
  void respond() {
    std::sort(results_.begin(), results_.end(), [](const FetchItem& a, const FetchItem& b) {
      return std::tie(a.topic_index, a.partition_index) < std::tie(b.topic_index, b.partition_index);
    });
    size_t budget = req_.max_bytes > 0 ? static_cast<size_t>(req_.max_bytes) : SIZE_MAX;
    size_t total = 0;
    for (auto& item : results_) {
      auto& data = resp_.responses[item.topic_index].partitions[item.partition_index];
      data.error_code = protocol::code(item.outcome.error);
      data.high_watermark = item.outcome.high_watermark;
      data.last_stable_offset = item.outcome.high_watermark;
      data.log_start_offset = item.outcome.log_start_offset;
      if (request_->version() >= 4) data.aborted_transactions = std::vector<FetchResponse::AbortedTransaction>{};
      if (!item.outcome.records) continue;
      size_t size = item.outcome.records->bytes.size();
      if (total > 0 && total + size > budget) {
        data.records = protocol::Records{};
        continue;
      }
      total += size;
      data.records = std::move(item.outcome.records);
    }
    request_->reply(resp_);
  }

  RequestPtr request_;
  FetchRequest req_;
  FetchResponse resp_;
  std::vector<std::vector<FetchItem>> by_shard_;
  std::vector<FetchItem> results_;
  bool has_error_ = false;
  asio::steady_timer timer_;
  std::chrono::steady_clock::time_point deadline_;
  std::optional<uint64_t> waiter_;
};
}  // namespace

void handle_fetch(const RequestPtr& request, protocol::Reader& body) {
  FetchRequest req;
  req.decode(body, request->version());
  if (req.session_id != 0) {
    // Fetch sessions are not kept yet: an incremental fetch names an unknown session.
    FetchResponse resp;
    resp.error_code = protocol::code(ErrorCode::FetchSessionIdNotFound);
    return request->reply(resp);
  }
  std::make_shared<FetchOperation>(request, std::move(req))->start();
}

}  // namespace freshet::server
