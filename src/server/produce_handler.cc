#include <asio/steady_timer.hpp>
#include <fmt/format.h>

#include <map>

#include "cluster/internal_topics.h"
#include "protocol/errors.h"
#include "protocol/record_batch.h"
#include "server/broker.h"
#include "server/clock.h"
#include "server/fan_out.h"
#include "server/handlers.h"
#include "server/leader_hints.h"
#include "server/transaction_topic.h"
#include "server/txn_partition_checks.h"

namespace freshet::server {

namespace {
using protocol::ErrorCode;
using protocol::ProduceRequest;
using protocol::ProduceResponse;

struct ProduceItem {
  size_t topic_index;
  size_t partition_index;
  protocol::Uuid topic_id;
  int32_t partition;
  std::optional<protocol::Records> records;
  AppendOutcome outcome;
};

// What every partition of one Produce request shares.
struct ProduceContext {
  int16_t acks;
  int16_t version;
  int32_t timeout_ms;
  std::optional<std::string> transactional_id;
};


// Answers acks=all once each item's records are committed
// (Partition::await_committed), or, while followers are to copy them,
// request timeout_ms passes first (REQUEST_TIMED_OUT). One per shard's part of a request; `finish_one` is
// called once per item it took. Whoever ends the request destroys it (it
// holds `finish_one`, which holds it).
class AcksAllWaits {
 public:
  AcksAllWaits(asio::io_context& context, int32_t timeout_ms, std::function<void()> finish_one)
      : timer_(std::make_shared<asio::steady_timer>(context)),
        timeout_ms_(timeout_ms),
        finish_one_(std::move(finish_one)) {}
  ~AcksAllWaits() { timer_->cancel(); }

  void wait(ProduceItem& item, Partition& partition) {
    auto answered = std::make_shared<bool>(false);
    // Only waits for followers time out: Kafka answers a leader alone in the
    // ISR at once, so no client expects that to take timeout_ms.
    if (partition.isr().size() > 1) {
      if (waits_->empty()) arm();
      waits_->push_back({&item, answered});
    }
    partition.await_committed(item.outcome.last_offset, [&item, answered, finish_one = finish_one_](ErrorCode error) {
      if (*answered) return;
      *answered = true;
      item.outcome.error = error;
      if (error == ErrorCode::KafkaStorageError) item.outcome.message = "fdatasync failed";
      finish_one();
    });
  }

 private:
  using Waits = std::vector<std::pair<ProduceItem*, std::shared_ptr<bool>>>;
  void arm() {
    timer_->expires_after(std::chrono::milliseconds(std::max(timeout_ms_, 0)));
    timer_->async_wait([waits = waits_, finish_one = finish_one_](asio::error_code ec) {
      if (ec) return;
      for (auto& [item, answered] : *waits) {
        if (*answered) continue;
        *answered = true;
        item->outcome.error = ErrorCode::RequestTimedOut;
        finish_one();
      }
    });
  }

  std::shared_ptr<asio::steady_timer> timer_;
  int32_t timeout_ms_;
  std::function<void()> finish_one_;
  std::shared_ptr<Waits> waits_ = std::make_shared<Waits>();
};

// Appends the shard's items. acks=all needs min.insync.replicas in the ISR
// (else NOT_ENOUGH_REPLICAS, nothing appended) and answers once every ISR
// member has the records (the high watermark passed them), or, with the
// leader alone in the ISR, once they are durable (fsync); flush.messages
// reached also waits for durability, whatever the acks. The
// first batch of a transaction on a partition is appended only once its
// transaction coordinator confirms the partition is in the producer's
// ongoing transaction (KIP-890 part 1), under a guard that a marker or a
// newer epoch arriving meanwhile invalidates.
void produce_on_shard(Broker& broker, const ProduceContext& context, unsigned shard, std::vector<ProduceItem> items,
                      std::function<void(std::vector<ProduceItem>)> reply) {
  auto now = now_ms();
  auto shared = std::make_shared<std::vector<ProduceItem>>(std::move(items));
  auto pending = std::make_shared<size_t>(1);  // one for this loop
  auto waits = std::make_shared<std::optional<AcksAllWaits>>();
  auto finish_one = [shared, pending, reply, waits] {
    if (--*pending > 0) return;
    waits->reset();
    reply(std::move(*shared));
  };
  if (context.acks == -1) waits->emplace(broker.shards().context(shard), context.timeout_ms, finish_one);
  auto append = [acks = context.acks, version = context.version, pending, finish_one, waits](
                    ProduceItem& item, Partition& partition, const storage::AppendChecks& checks) {
    item.outcome = partition.append(item.records, version, now_ms(), checks);
    item.records.reset();
    if (item.outcome.error != ErrorCode::None) return;
    if (acks == -1) {
      ++*pending;
      (*waits)->wait(item, partition);
    }
    if (!item.outcome.flush_due) return;
    ++*pending;
    partition.await_durable(item.outcome.last_offset, [&item, finish_one](bool ok) {
      if (!ok) {
        item.outcome.error = ErrorCode::KafkaStorageError;
        item.outcome.message = "fdatasync failed";
      }
      finish_one();
    });
  };
  struct Unverified {
    ProduceItem* item;
    std::shared_ptr<Partition> partition;
    storage::VerificationGuard guard;
  };
  auto unverified = std::make_shared<std::vector<Unverified>>();
  coordinator::TopicPartitionSet to_verify;
  const TxnPartitionCheck check = produce_partition_check(context.version);
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  for (auto& item : *shared) {
    auto partition = broker.partitions(shard).find(item.topic_id, item.partition);
    if (!partition) {
      item.outcome.error = ErrorCode::UnknownTopicOrPartition;
      continue;
    }
    if (!partition->is_leader()) {  // the image moved on before this shard's partitions did
      item.outcome.error = ErrorCode::NotLeaderOrFollower;
      continue;
    }
    const size_t isr_size = partition->isr().size();
    if (context.acks == -1 && isr_size < static_cast<size_t>(partition->policy().min_insync_replicas)) {
      item.outcome.error = ErrorCode::NotEnoughReplicas;
      item.outcome.message = fmt::format(
          "The size of the current ISR {} is insufficient to satisfy the min.isr requirement of {} for partition {}-{}",
          isr_size, partition->policy().min_insync_replicas, partition->topic(), partition->index());
      continue;
    }
    std::optional<protocol::RecordBatchHeader> header;
    if (item.records && context.transactional_id) header = protocol::parse_batch_header(item.records->bytes);
    if (header && (check == TxnPartitionCheck::kAdd ? partition->log().starts_transaction(*header)
                                                    : partition->log().needs_verification(*header))) {
      producer_id = header->producer_id;
      producer_epoch = header->producer_epoch;
      auto guard = partition->log().begin_verification(producer_id, producer_epoch, header->base_sequence, now);
      unverified->push_back({&item, partition, guard});
      to_verify.insert({partition->topic(), partition->index()});
      continue;
    }
    append(item, *partition, {});
  }
  if (!unverified->empty()) {
    ++*pending;
    auto checked = [unverified, append, finish_one](TxnPartitionErrors errors) {
      for (auto& u : *unverified) {
        const ErrorCode error = errors.at({u.partition->topic(), u.partition->index()});
        if (error != ErrorCode::None) {
          u.item->outcome.error = error;
          u.item->records.reset();
          continue;
        }
        append(*u.item, *u.partition, storage::AppendChecks{storage::AppendOrigin::kClient, u.guard});
      }
      finish_one();
    };
    check_txn_partitions(broker, check, *context.transactional_id, producer_id,
                         producer_epoch, to_verify, ErrorCode::NotEnoughReplicas, std::move(checked));
  }
  finish_one();
}

// KIP-951: where each partition answered NOT_LEADER_OR_FOLLOWER is led now.
void add_leader_hints(ProduceResponse& resp, const cluster::MetadataImage& image, const std::string& listener) {
  std::map<int32_t, ProduceResponse::NodeEndpoint> endpoints;
  for (auto& topic : resp.responses) {
    const cluster::TopicInfo* info = image.topic(topic.name);
    if (!info) continue;
    for (auto& p : topic.partition_responses) {
      if (p.error_code != protocol::code(ErrorCode::NotLeaderOrFollower)) continue;
      auto hint = leader_hint(image, *info, p.index, listener);
      if (!hint) continue;
      p.current_leader = {hint->leader_id, hint->leader_epoch};
      add_node_endpoint(endpoints, *hint);
    }
  }
  for (auto& [id, node] : endpoints) resp.node_endpoints.push_back(std::move(node));
}

ProduceResponse::PartitionProduceResponse to_response(int32_t index, const AppendOutcome& outcome) {
  ProduceResponse::PartitionProduceResponse r;
  r.index = index;
  r.error_code = protocol::code(outcome.error);
  r.base_offset = outcome.base_offset;
  r.log_append_time_ms = outcome.log_append_time_ms;
  r.log_start_offset = outcome.log_start_offset;
  if (!outcome.message.empty()) r.error_message = outcome.message;
  for (const RecordError& e : outcome.record_errors) {
    ProduceResponse::BatchIndexAndErrorMessage item;
    item.batch_index = e.batch_index;
    item.batch_index_error_message = e.message;
    r.record_errors.push_back(std::move(item));
  }
  return r;
}
}  // namespace

void handle_produce(const RequestPtr& request, protocol::Reader& body) {
  auto req = std::make_shared<ProduceRequest>();
  req->decode(body, request->version());
  Broker& broker = request->broker;
  int16_t acks = req->acks;

  auto resp = std::make_shared<ProduceResponse>();
  std::vector<std::vector<ProduceItem>> by_shard(broker.shards().size());
  auto image = broker.image();
  for (size_t t = 0; t < req->topic_data.size(); ++t) {
    const auto& topic_data = req->topic_data[t];
    ProduceResponse::TopicProduceResponse topic_resp;
    topic_resp.name = topic_data.name;
    const cluster::TopicInfo* topic = image->topic(topic_data.name);
    for (size_t p = 0; p < topic_data.partition_data.size(); ++p) {
      const auto& data = topic_data.partition_data[p];
      AppendOutcome rejected;
      if (acks != 0 && acks != 1 && acks != -1) {
        rejected.error = ErrorCode::InvalidRequiredAcks;
      } else if (cluster::is_internal_topic(topic_data.name)) {  // only the broker writes them
        rejected.error = ErrorCode::InvalidTopicException;
        rejected.message = "Cannot append to internal topic " + topic_data.name;
      } else if (!topic || data.index < 0 || static_cast<size_t>(data.index) >= topic->partitions.size()) {
        rejected.error = ErrorCode::UnknownTopicOrPartition;
      } else if (!broker.leads(*topic, data.index)) {
        rejected.error = ErrorCode::NotLeaderOrFollower;  // the client refreshes its metadata
      }
      topic_resp.partition_responses.push_back(to_response(data.index, rejected));
      if (rejected.error != ErrorCode::None) continue;
      by_shard[broker.shard_of(*topic, data.index)].push_back(ProduceItem{t, p, topic->id, data.index, data.records, {}});
    }
    resp->responses.push_back(std::move(topic_resp));
  }
  // acks=0: the client expects no response at all.
  if (acks == 0) request->no_reply();
  fan_out<ProduceItem>(
      broker.shards(), std::move(by_shard),
      [&broker, context = ProduceContext{acks, request->version(), req->timeout_ms, req->transactional_id}](
          unsigned shard, std::vector<ProduceItem> items, auto reply) {
        produce_on_shard(broker, context, shard, std::move(items), std::move(reply));
      },
      [resp](std::vector<ProduceItem>& items) {
        for (const auto& item : items)
          resp->responses[item.topic_index].partition_responses[item.partition_index] = to_response(item.partition, item.outcome);
      },
      [request, resp, acks] {
        if (acks == 0) return;
        add_leader_hints(*resp, *request->broker.image(), request->listener);
        request->reply(*resp);
      });
}

}  // namespace freshet::server
