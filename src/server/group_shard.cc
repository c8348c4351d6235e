#include "server/group_shard.h"

#include <spdlog/spdlog.h>

#include "protocol/batch_iterator.h"
#include "protocol/batch_records.h"
#include "protocol/control_record.h"
#include "protocol/record_batch.h"
#include "protocol/record_batch_builder.h"
#include "server/broker.h"
#include "server/clock.h"
#include "server/offsets_topic.h"

namespace freshet::server {

namespace {
using protocol::ErrorCode;

// Records are appended as one batch per coordinator write; this caps what a
// compressed batch may expand to when it is loaded back.
constexpr size_t kMaxLoadedBatchBytes = 64 << 20;

// Kafka's mapping of append errors for coordinator writes
// (GroupMetadataManager.appendForGroup); size errors pass through for the
// coordinator to map per request kind.
ErrorCode coordinator_error(ErrorCode append_error) {
  switch (append_error) {
    case ErrorCode::None:
    case ErrorCode::MessageTooLarge:
    case ErrorCode::RecordListTooLarge:
    // A transactional offset commit fenced or refused by the log.
    case ErrorCode::InvalidProducerEpoch:
    case ErrorCode::ProducerFenced:
    case ErrorCode::InvalidTxnState:
      return append_error;
    case ErrorCode::UnknownTopicOrPartition:
    case ErrorCode::NotEnoughReplicas:
    case ErrorCode::NotEnoughReplicasAfterAppend:
    case ErrorCode::RequestTimedOut:
      return ErrorCode::CoordinatorNotAvailable;
    default:
      return ErrorCode::NotCoordinator;
  }
}
}  // namespace

// Appends coordinator records to this shard's __consumer_offsets partitions
// and reports once they are fsynced.
class GroupShard::Store : public coordinator::GroupStore {
 public:
  explicit Store(GroupShard& owner) : owner_(owner) {}

  void append(int32_t partition, std::vector<coordinator::StoredRecord> records,
              std::optional<coordinator::TransactionalProducer> producer, std::function<void(ErrorCode)> done) override {
    auto finish = [this, done = std::move(done)](ErrorCode error) {
      // Always later, never inside append(); the coordinator may then have new deadlines.
      owner_.broker_.shards().post(owner_.shard_, [this, done, error] {
        done(coordinator_error(error));
        owner_.rearm();
      });
    };
    auto target = find(partition);
    if (!target) return finish(ErrorCode::NotLeaderOrFollower);
    int64_t now = now_ms();
    protocol::RecordBatchOptions options;
    options.compression = static_cast<protocol::Compression>(
        std::clamp<int64_t>(owner_.broker_.config().get_int("offsets.topic.compression.codec"), 0, 4));
    if (producer) {
      // As Kafka's coordinator writes them: sequence 0, which the log does not check.
      options.producer_id = producer->producer_id;
      options.producer_epoch = producer->producer_epoch;
      options.base_sequence = 0;
      options.transactional = true;
    }
    protocol::RecordBatchBuilder builder(options);
    for (const auto& record : records) {
      protocol::BytesView value = record.value ? protocol::BytesView(*record.value) : protocol::BytesView();
      builder.append(now, protocol::BytesView(record.key), value);
    }
    auto batch = std::make_shared<std::vector<uint8_t>>(builder.build());
    AppendOutcome outcome = target->append(protocol::Records{*batch, batch, std::nullopt}, kProduceVersion, now);
    if (outcome.error != ErrorCode::None) {
      spdlog::warn("writing group records to {}-{} failed: {}", kOffsetsTopic, partition, outcome.message);
      return finish(outcome.error);
    }
    target->await_durable(outcome.last_offset,
                          [finish](bool ok) { finish(ok ? ErrorCode::None : ErrorCode::KafkaStorageError); });
  }

  std::shared_ptr<Partition> find(int32_t partition) const {
    auto image = owner_.broker_.image();
    const cluster::TopicInfo* topic = image->topic(std::string(kOffsetsTopic));
    if (!topic) return nullptr;
    return owner_.broker_.partitions(owner_.shard_).find(topic->id, partition);
  }

 private:
  static constexpr int16_t kProduceVersion = 9;  // any v3+ Produce accepts a RecordBatch v2
  GroupShard& owner_;
};

GroupShard::GroupShard(Broker& broker, unsigned shard)
    : broker_(broker),
      shard_(shard),
      store_(std::make_unique<Store>(*this)),
      coordinator_(std::make_unique<coordinator::GroupCoordinator>(group_config(broker.config()), *store_)),
      timer_(broker.shards().context(shard)) {}

GroupShard::~GroupShard() = default;

void GroupShard::reconcile(const cluster::MetadataImage& image) {
  const cluster::TopicInfo* topic = image.topic(std::string(kOffsetsTopic));
  std::map<int32_t, uint64_t> still_owned;
  if (topic) {
    for (const auto& p : topic->partitions) {
      if (broker_.shard_of(*topic, p.partition) != shard_) continue;
      if (auto it = owned_.find(p.partition); it != owned_.end()) {
        still_owned.insert(*it);
        owned_.erase(it);
        continue;
      }
      uint64_t load_id = next_load_id_++;
      still_owned[p.partition] = load_id;
      coordinator_->begin_loading(p.partition);
      broker_.shards().post(shard_, [this, partition = p.partition, load_id] { load_chunk(partition, load_id, 0); });
    }
  }
  for (const auto& [partition, load_id] : owned_) coordinator_->unload(partition);
  owned_ = std::move(still_owned);
  rearm();
}

// Replays up to offsets.load.buffer.size bytes of the partition from
// `offset`, then yields to other work and continues where it stopped.
void GroupShard::load_chunk(int32_t partition, uint64_t load_id, int64_t offset) {
  auto it = owned_.find(partition);
  if (it == owned_.end() || it->second != load_id) return;  // unloaded or reloaded meanwhile
  auto log_partition = store_->find(partition);
  if (!log_partition) {
    spdlog::error("{}-{} is not open on shard {}: its groups start empty", kOffsetsTopic, partition, shard_);
    coordinator_->finish_loading(partition, now_ms());
    return;
  }
  auto read = log_partition->read(std::max(offset, log_partition->log_start_offset()),
                                  static_cast<int32_t>(broker_.config().get_int("offsets.load.buffer.size")));
  int64_t next = offset;
  if (read.error == ErrorCode::None && read.records && !read.records->bytes.empty()) {
    try {
      protocol::BatchIterator batches(read.records->bytes);
      while (auto batch = batches.next()) {
        auto header = protocol::parse_batch_header(*batch);
        if (!header) break;
        next = header->last_offset() + 1;
        replay_batch(partition, *batch, *header);
      }
    } catch (const std::exception& e) {
      spdlog::error("{}-{}: stopped loading at offset {}: {}", kOffsetsTopic, partition, next, e.what());
    }
  }
  if (next > offset && next < log_partition->high_watermark()) {
    broker_.shards().post(shard_, [this, partition, load_id, next] { load_chunk(partition, load_id, next); });
    return;
  }
  if (read.error != ErrorCode::None)
    spdlog::error("{}-{}: loading stopped at offset {}: read failed", kOffsetsTopic, partition, offset);
  coordinator_->finish_loading(partition, now_ms());
  spdlog::debug("{}-{} loaded up to offset {}", kOffsetsTopic, partition, next);
  if (int64_t skipped = coordinator_->skipped_records(); skipped > skipped_reported_) {
    spdlog::warn("{}: {} record(s) the group coordinator cannot use were skipped while loading", kOffsetsTopic,
                 skipped - skipped_reported_);
    skipped_reported_ = skipped;
  }
  rearm();
}

void GroupShard::replay_batch(int32_t partition, std::span<const uint8_t> batch,
                              const protocol::RecordBatchHeader& header) {
  try {
    const auto records = protocol::decode_records(batch, kMaxLoadedBatchBytes);
    if (header.is_control()) {
      // A transaction's end: its offsets in the batches before take effect or go.
      if (records.size() != 1) return;
      auto marker = protocol::parse_end_txn_marker(records.front());
      coordinator_->complete_transaction(partition, header.producer_id,
                                         marker.type == protocol::ControlRecordType::kCommit);
      return;
    }
    const int64_t transactional_producer_id = header.is_transactional() ? header.producer_id : -1;
    for (const auto& record : records) {
      if (!record.key) continue;
      std::optional<std::span<const uint8_t>> value;
      if (record.value) value = std::span<const uint8_t>(*record.value);
      coordinator_->replay(partition, *record.key, value, header.base_timestamp + record.timestamp_delta,
                           transactional_producer_id);
    }
  } catch (const std::exception& e) {
    spdlog::error("{}-{}: skipping an unreadable batch at offset {}: {}", kOffsetsTopic, partition,
                  header.base_offset, e.what());
  }
}

void GroupShard::rearm() {
  auto deadline = coordinator_->next_deadline_ms();
  if (deadline == armed_deadline_ms_) return;
  armed_deadline_ms_ = deadline;
  if (!deadline) {
    timer_.cancel();
    return;
  }
  timer_.expires_after(std::chrono::milliseconds(std::max<int64_t>(0, *deadline - now_ms())));
  timer_.async_wait([this](const asio::error_code& error) {
    if (!error) on_timer();
  });
}

// A failing timeout pass is logged and retried a second later (not at once,
// which could spin the shard), so the coordinator's timeouts never stop.
void GroupShard::on_timer() {
  armed_deadline_ms_.reset();
  try {
    coordinator_->advance(now_ms());
  } catch (const std::exception& e) {
    spdlog::error("shard {}: the group coordinator's timeouts failed, retrying in 1 s: {}", shard_, e.what());
    armed_deadline_ms_ = now_ms() + 1000;
    timer_.expires_after(std::chrono::seconds(1));
    timer_.async_wait([this](const asio::error_code& error) {
      if (!error) on_timer();
    });
    return;
  }
  rearm();
}

void GroupShard::stop() {
  armed_deadline_ms_.reset();
  owned_.clear();
  timer_.cancel();
}

}  // namespace freshet::server
