#include "server/group_shard.h"

#include <spdlog/spdlog.h>

#include "protocol/batch_records.h"
#include "protocol/control_record.h"
#include "protocol/record_batch.h"
#include "protocol/record_batch_builder.h"
#include "server/broker.h"
#include "server/clock.h"
#include "server/coordinator_append.h"
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
    append_coordinator_records(owner_.ownership_.find(partition), records, options, verification, "group",
                               std::move(finish));
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
             [this](int64_t now) { coordinator_->advance(now); }),
      ownership_(broker, shard, std::string(kOffsetsTopic), "group coordinator", "offsets.load.buffer.size",
             {.begin_loading = [this](const cluster::PartitionInfo& p) { coordinator_->begin_loading(p.partition); },
              .replay_batch = [this](int32_t partition, std::span<const uint8_t> batch,
                                     const protocol::RecordBatchHeader& header) { replay_batch(partition, batch, header); },
              .finish_loading = [this](int32_t partition) { coordinator_->finish_loading(partition, now_ms()); },
              .unload = [this](int32_t partition) { coordinator_->unload(partition); },
              .skipped_records = [this] { return coordinator_->skipped_records(); },
              .changed = [this] { rearm(); }}) {}

GroupShard::~GroupShard() = default;

void GroupShard::reconcile(const cluster::MetadataImage& image) { ownership_.reconcile(image); }

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
  ownership_.stop();
  timer_.stop();
}

}  // namespace freshet::server
