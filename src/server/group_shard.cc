#include "server/group_shard.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "protocol/batch_records.h"
#include "protocol/control_record.h"
#include "protocol/record_batch.h"
#include "protocol/record_batch_builder.h"
#include "server/broker.h"
#include "server/clock.h"
#include "server/coordinator_append.h"
#include "server/internal_partition_loader.h"
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
    storage::VerificationGuard verification{producer ? producer->verification_guard : 0};
    append_coordinator_records(find(partition), records, options, verification, "group", std::move(finish));
  }

  std::shared_ptr<Partition> find(int32_t partition) const {
    auto image = owner_.broker_.image();
    const cluster::TopicInfo* topic = image->topic(std::string(kOffsetsTopic));
    if (!topic) return nullptr;
    return owner_.broker_.partitions(owner_.shard_).find(topic->id, partition);
  }

 private:
  GroupShard& owner_;
};

GroupShard::GroupShard(Broker& broker, unsigned shard)
    : broker_(broker),
      shard_(shard),
      store_(std::make_unique<Store>(*this)),
      coordinator_(std::make_unique<coordinator::GroupCoordinator>(group_config(broker.config()), *store_)),
      timer_(broker.shards().context(shard), "the group coordinator", [this] { return coordinator_->next_deadline_ms(); },
             [this](int64_t now) { coordinator_->advance(now); }) {}

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
      start_loading(p.partition, load_id);
    }
  }
  for (const auto& [partition, load_id] : owned_) coordinator_->unload(partition);
  owned_ = std::move(still_owned);
  rearm();
}

void GroupShard::start_loading(int32_t partition, uint64_t load_id) {
  auto log_partition = store_->find(partition);
  if (!log_partition) {
    spdlog::error("{}-{} is not open on shard {}: its groups start empty", kOffsetsTopic, partition, shard_);
    coordinator_->finish_loading(partition, now_ms());
    return;
  }
  PartitionLoad load;
  load.name = fmt::format("{}-{}", kOffsetsTopic, partition);
  load.chunk_bytes = static_cast<int32_t>(broker_.config().get_int("offsets.load.buffer.size"));
  load.still_wanted = [this, partition, load_id] {
    auto it = owned_.find(partition);
    return it != owned_.end() && it->second == load_id;
  };
  load.on_batch = [this, partition](std::span<const uint8_t> batch, const protocol::RecordBatchHeader& header) {
    replay_batch(partition, batch, header);
  };
  load.on_done = [this, partition] {
    coordinator_->finish_loading(partition, now_ms());
    if (int64_t skipped = coordinator_->skipped_records(); skipped > skipped_reported_) {
      spdlog::warn("{}: {} record(s) the group coordinator cannot use were skipped while loading", kOffsetsTopic,
                   skipped - skipped_reported_);
      skipped_reported_ = skipped;
    }
    rearm();
  };
  load_internal_partition(broker_, shard_, std::move(log_partition), std::move(load));
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

void GroupShard::rearm() { timer_.rearm(); }

void GroupShard::stop() {
  owned_.clear();
  timer_.stop();
}

}  // namespace freshet::server
