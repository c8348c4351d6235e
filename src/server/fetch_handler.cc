#include <asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "cluster/clock.h"
#include "cluster/quorum_wire.h"
#include "protocol/client_text.h"
#include "protocol/errors.h"
#include "protocol/legacy_messages.h"
#include "server/broker.h"
#include "server/clock.h"
#include "server/fan_out.h"
#include "server/fetch_session.h"
#include "server/handlers.h"
#include "server/leader_hints.h"

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
  int32_t current_leader_epoch;  // KIP-320; -1: unknown
  int32_t max_bytes;
  Isolation isolation;
  int32_t replica_id;          // a follower's broker id; -1: a consumer
  int32_t last_fetched_epoch;  // a follower's; -1: unknown
  ReadOutcome outcome;
  DataNotifier::Watch watch;  // the partition's data signal as of the read
  // Where the follower's log left the leader's (its epoch ended earlier, or
  // never was the leader's): no records, the follower truncates first.
  std::optional<FetchResponse::EpochEndOffset> diverging;
};

// A follower's fetch on the leader: the divergence check of its last fetched
// epoch (KIP-595 in Kafka's Fetch v12+), the read up to the log end, and
// the follower's progress for the high watermark and the ISR.
void serve_follower(FetchItem& item, Partition& partition) {
  if (!partition.is_leader()) {
    item.outcome.error = ErrorCode::NotLeaderOrFollower;
    return;
  }
  if (item.last_fetched_epoch >= 0) {
    auto [epoch, end_offset] = partition.log().end_offset_for_epoch(item.last_fetched_epoch);
    if (end_offset < item.fetch_offset || epoch < item.last_fetched_epoch) {
      item.diverging = FetchResponse::EpochEndOffset{epoch, end_offset};
      item.outcome.high_watermark = partition.high_watermark();
      item.outcome.log_start_offset = partition.log_start_offset();
      item.outcome.records = protocol::Records{};
      return;
    }
  }
  item.outcome = partition.read_for_follower(item.fetch_offset, item.max_bytes);
  if (item.outcome.error != ErrorCode::None) return;
  partition.follower_fetched(item.replica_id, item.fetch_offset, cluster::monotonic_ms());
  item.outcome.high_watermark = partition.high_watermark();
}

// Fetch v0-3: the records in message format v0 (v0-1) or v1 (v2-3), as
// Kafka 3.x down-converts them (zstd batches cannot be:
// UNSUPPORTED_COMPRESSION_TYPE).
void downconvert(ReadOutcome& outcome, int16_t fetch_version, int64_t fetch_offset) {
  if (!outcome.records || outcome.records->bytes.empty()) return;
  const int8_t magic = fetch_version <= 1 ? 0 : 1;
  try {
    auto converted = protocol::downconvert_batches(outcome.records->bytes, magic, fetch_offset,
                                                   storage::kMaxUncompressedBatchBytes);
    if (!converted) {
      outcome.error = ErrorCode::UnsupportedCompressionType;
      outcome.records.reset();
      return;
    }
    auto owner = std::make_shared<const std::vector<uint8_t>>(std::move(*converted));
    outcome.records = protocol::Records{*owner, owner, std::nullopt};
  } catch (const protocol::DecodeError& e) {
    spdlog::error("cannot down-convert stored batches at offset {} to message format v{}: {}", fetch_offset, magic,
                  e.what());
    outcome.error = ErrorCode::CorruptMessage;
    outcome.records.reset();
  }
}

SessionPartitionKey session_key(const FetchRequest::FetchTopic& topic, int32_t partition, bool by_id) {
  return by_id ? SessionPartitionKey{topic.topic_id, {}, partition} : SessionPartitionKey{{}, topic.topic, partition};
}

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
    if (!open_session()) return;
    build_skeleton();
    attempt();
  }

 private:
  bool by_id() const { return request_->version() >= 13; }
  // The follower's broker id in a replica fetch; -1 for a consumer.
  int32_t replica_id() const { return std::max(req_.replica_id, req_.replica_state.replica_id); }
  Isolation isolation() const {
    return req_.isolation_level == 1 ? Isolation::kReadCommitted : Isolation::kReadUncommitted;
  }

  // The request's max_bytes capped by the broker's fetch.max.bytes, and by
  // 1 GiB so that the response (which may exceed the budget by one batch,
  // KIP-74) stays far below the protocol's 2 GiB frame limit.
  size_t response_budget_bytes() const {
    constexpr int64_t kMaxResponseBytes = int64_t{1} << 30;
    int64_t broker_max = request_->broker.config().get_int("fetch.max.bytes");
    int64_t request_max = req_.max_bytes > 0 ? req_.max_bytes : INT32_MAX;
    return static_cast<size_t>(std::min({request_max, broker_max, kMaxResponseBytes}));
  }

  // Decides from the session id and epoch how to serve this fetch; for an
  // incremental fetch, replaces the listed topics by the session's partitions.
  // Returns false after answering a session error.
  bool open_session() {
    std::vector<SessionPartition> listed;
    for (const auto& ft : req_.topics) {
      for (const auto& fp : ft.partitions)
        listed.push_back({session_key(ft, fp.partition, by_id()), fp.fetch_offset, fp.partition_max_bytes, -1, -1});
    }
    std::vector<SessionPartitionKey> forgotten;
    for (const auto& topic : req_.forgotten_topics_data) {
      FetchRequest::FetchTopic named{topic.topic, topic.topic_id, {}};
      for (int32_t partition : topic.partitions) forgotten.push_back(session_key(named, partition, by_id()));
    }
    plan_ = request_->broker.fetch_sessions().plan(req_.session_id, req_.session_epoch, by_id(), listed, forgotten, now_ms());
    switch (plan_.kind) {
      case FetchPlan::Kind::kError: {
        FetchResponse resp;
        resp.error_code = protocol::code(plan_.error);
        request_->reply(resp);
        return false;
      }
      case FetchPlan::Kind::kIncremental:
        req_.topics = topics_of(plan_.partitions);
        return true;
      default:
        return true;
    }
  }

  // A session's partitions as request topics; consecutive partitions of one
  // topic share an entry.
  static std::vector<FetchRequest::FetchTopic> topics_of(const std::vector<SessionPartition>& partitions) {
    std::vector<FetchRequest::FetchTopic> topics;
    for (const auto& sp : partitions) {
      if (topics.empty() || topics.back().topic != sp.key.topic || !(topics.back().topic_id == sp.key.topic_id))
        topics.push_back({sp.key.topic, sp.key.topic_id, {}});
      FetchRequest::FetchPartition fp;
      fp.partition = sp.key.partition;
      fp.fetch_offset = sp.fetch_offset;
      fp.partition_max_bytes = sp.max_bytes;
      topics.back().partitions.push_back(fp);
    }
    return topics;
  }

  // Every answered partition in request order, as the session cache sees it.
  std::vector<PartitionAnswer> answers() const {
    std::vector<PartitionAnswer> result;
    for (const auto& topic : resp_.responses) {
      for (const auto& data : topic.partitions)
        result.push_back({data.error_code, data.high_watermark, data.log_start_offset,
                          data.records && data.records->size() > 0});
    }
    return result;
  }

  // Applies the session to the filled response: creates the session of a
  // full fetch, or keeps only the partitions with news for an incremental one
  // (or only the session error, when another fetch moved the session on).
  void close_session() {
    FetchSessionCache& cache = request_->broker.fetch_sessions();
    if (plan_.kind == FetchPlan::Kind::kNewSession) {
      std::vector<SessionPartition> partitions;
      auto sent = answers();
      size_t i = 0;
      for (const auto& ft : req_.topics) {
        for (const auto& fp : ft.partitions) {
          const PartitionAnswer& answer = sent[i++];
          partitions.push_back({session_key(ft, fp.partition, by_id()), fp.fetch_offset, fp.partition_max_bytes,
                                answer.error_code != 0 ? -1 : answer.high_watermark, answer.log_start_offset});
        }
      }
      resp_.session_id = cache.create(by_id(), std::move(partitions), now_ms());
      return;
    }
    if (plan_.kind != FetchPlan::Kind::kIncremental) return;
    std::vector<bool> send;
    protocol::ErrorCode error = cache.answered(plan_, answers(), send);
    resp_.session_id = plan_.session_id;
    if (error != protocol::ErrorCode::None) {
      resp_.error_code = protocol::code(error);
      resp_.responses.clear();
      return;
    }
    size_t i = 0;
    std::vector<FetchResponse::FetchableTopicResponse> kept;
    for (auto& topic : resp_.responses) {
      std::vector<FetchResponse::PartitionData> partitions;
      for (auto& data : topic.partitions) {
        if (send[i++]) partitions.push_back(std::move(data));
      }
      if (partitions.empty()) continue;
      topic.partitions = std::move(partitions);
      kept.push_back(std::move(topic));
    }
    resp_.responses = std::move(kept);
  }

  void build_skeleton() {
    Broker& broker = request_->broker;
    auto image = broker.image();
    bool by_id = this->by_id();
    by_shard_.resize(broker.shards().size());
    int32_t request_max = static_cast<int32_t>(response_budget_bytes());
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
        } else if (!broker.leads(*topic, fp.partition)) {
          data.error_code = protocol::code(ErrorCode::NotLeaderOrFollower);
          has_error_ = true;
        } else {
          by_shard_[broker.shard_of(*topic, fp.partition)].push_back(
              FetchItem{t, p, topic->id, fp.partition, fp.fetch_offset, fp.current_leader_epoch,
                        std::min(fp.partition_max_bytes, request_max), isolation(), replica_id(),
                        fp.last_fetched_epoch, {}, {}, {}});
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
        [&broker, version = request_->version()](unsigned shard, std::vector<FetchItem> items, auto reply) {
          for (auto& item : items) {
            auto partition = broker.partitions(shard).find(item.topic_id, item.partition);
            if (!partition) {
              item.outcome.error = ErrorCode::UnknownTopicOrPartition;
              continue;
            }
            if (auto error = partition->check_leader_epoch(item.current_leader_epoch); error != ErrorCode::None) {
              item.outcome.error = error;
              continue;
            }
            item.watch = {partition->data_signal(), partition->data_signal()->generation()};
            if (item.replica_id >= 0) {
              serve_follower(item, *partition);
              if (item.outcome.error == ErrorCode::None) broker.isr_updates(shard).check(item.topic_id, partition);
            } else if (version >= 4) {
              item.outcome = partition->read_for_fetch(item.fetch_offset, item.max_bytes, item.isolation);
            } else {
              item.outcome = partition->read(item.fetch_offset, item.max_bytes);
              downconvert(item.outcome, version, item.fetch_offset);
            }
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
      if (item.outcome.records) bytes += item.outcome.records->size();
      if (item.outcome.error != ErrorCode::None || item.diverging) error = true;
    }
    bool satisfied = error || bytes >= static_cast<size_t>(std::max(req_.min_bytes, 1)) ||
                     std::chrono::steady_clock::now() >= deadline_;
    if (satisfied || req_.max_wait_ms <= 0) return respond();
    wait_for_data();
  }

  // Waits on the partitions just read (every one was found: a missing one
  // is an error, answered at once) until one gets data or the deadline.
  void wait_for_data() {
    auto self = shared_from_this();
    std::vector<DataNotifier::Watch> watches;
    for (auto& item : results_) watches.push_back(std::move(item.watch));
    results_.clear();
    waiter_ = request_->broker.notifier().wait(request_->shard, std::move(watches), [self] {
      self->waiter_.reset();
      self->timer_.cancel();
    });
    if (!waiter_) return attempt();  // data arrived since the read
    log_parked();
    timer_.expires_at(deadline_);
    timer_.async_wait([self](asio::error_code) {
      if (self->waiter_) {  // deadline passed before data arrived
        self->request_->broker.notifier().cancel(self->request_->shard, *self->waiter_);
        self->waiter_.reset();
      }
      self->attempt();
    });
  }

  // One debug line each time the fetch parks (first wait, and again after a
  // wake-up that brought too little): tests wait for it before producing,
  // and bench/ counts these lines to count wake-ups.
  void log_parked() const {
    if (!spdlog::should_log(spdlog::level::debug)) return;
    size_t partitions = 0;
    for (const auto& items : by_shard_) partitions += items.size();
    auto left_ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - std::chrono::steady_clock::now());
    spdlog::debug("fetch parked: correlation id {}, client id '{}', {} partition(s), {} ms left", request_->header.correlation_id,
                  protocol::client_text(request_->header.client_id.value_or("")), partitions, left_ms.count());
  }

  // Fills the response in request order, keeping the total under max_bytes
  // (the first partition with data always gets its first batch).
  void respond() {
    std::sort(results_.begin(), results_.end(), [](const FetchItem& a, const FetchItem& b) {
      return std::tie(a.topic_index, a.partition_index) < std::tie(b.topic_index, b.partition_index);
    });
    size_t budget = response_budget_bytes();
    size_t total = 0;
    for (auto& item : results_) {
      auto& data = resp_.responses[item.topic_index].partitions[item.partition_index];
      data.error_code = protocol::code(item.outcome.error);
      data.high_watermark = item.outcome.high_watermark;
      data.last_stable_offset = item.outcome.last_stable_offset;
      data.log_start_offset = item.outcome.log_start_offset;
      if (item.diverging) data.diverging_epoch = *item.diverging;
      if (request_->version() >= 4) {
        // Empty for read_uncommitted (Kafka sends null; clients take both).
        std::vector<FetchResponse::AbortedTransaction> aborted;
        for (const auto& txn : item.outcome.aborted_transactions) aborted.push_back({txn.producer_id, txn.first_offset});
        data.aborted_transactions = std::move(aborted);
      }
      if (!item.outcome.records) continue;
      size_t size = item.outcome.records->size();
      if (total > 0 && total + size > budget) {
        data.records = protocol::Records{};
        continue;
      }
      total += size;
      data.records = std::move(item.outcome.records);
    }
    add_leader_hints();
    close_session();
    request_->reply(resp_);
  }

  // KIP-951: where each partition answered NOT_LEADER_OR_FOLLOWER or
  // FENCED_LEADER_EPOCH is led now.
  void add_leader_hints() {
    auto image = request_->broker.image();
    std::map<int32_t, FetchResponse::NodeEndpoint> endpoints;
    for (auto& topic : resp_.responses) {
      const cluster::TopicInfo* info = by_id() ? image->topic(topic.topic_id) : image->topic(topic.topic);
      if (!info) continue;
      for (auto& data : topic.partitions) {
        const auto error = static_cast<ErrorCode>(data.error_code);
        if (error != ErrorCode::NotLeaderOrFollower && error != ErrorCode::FencedLeaderEpoch) continue;
        auto hint = leader_hint(*image, *info, data.partition_index, request_->listener);
        if (!hint) continue;
        data.current_leader = {hint->leader_id, hint->leader_epoch};
        add_node_endpoint(endpoints, *hint);
      }
    }
    for (auto& [id, node] : endpoints) resp_.node_endpoints.push_back(std::move(node));
  }

  RequestPtr request_;
  FetchRequest req_;
  FetchResponse resp_;
  FetchPlan plan_;
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
  if (cluster::is_quorum_fetch(req)) return handle_quorum_fetch(request, req);
  std::make_shared<FetchOperation>(request, std::move(req))->start();
}

}  // namespace freshet::server
