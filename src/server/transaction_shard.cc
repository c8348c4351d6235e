#include "server/transaction_shard.h"

#include <spdlog/spdlog.h>

#include "protocol/batch_records.h"
#include "server/broker.h"
#include "server/clock.h"
#include "server/coordinator_append.h"
#include "server/transaction_topic.h"
#include "server/txn_marker_writes.h"

namespace freshet::server {

namespace {
using protocol::ErrorCode;

// The coordinator's records are small; this caps what one loaded batch may expand to.
constexpr size_t kMaxLoadedBatchBytes = 64 << 20;
}  // namespace

// Appends the coordinator's records to this shard's __transaction_state
// partitions, uncompressed, and reports once they are fsynced.
class TransactionShard::Store : public coordinator::TxnLogStore {
 public:
  explicit Store(TransactionShard& owner) : owner_(owner) {}

  void append(int32_t partition, std::vector<coordinator::StoredRecord> records,
              std::function<void(ErrorCode)> done) override {
    auto finish = [this, done = std::move(done)](ErrorCode error) {
      owner_.broker_.shards().post(owner_.shard_, [this, done, error] {
        done(error);
        owner_.rearm();
      });
    };
    append_coordinator_records(owner_.ownership_.find(partition), records, protocol::RecordBatchOptions{},
                               storage::kNoVerificationGuard, "transaction", std::move(finish));
  }

 private:
  TransactionShard& owner_;
};

class TransactionShard::ProducerIds : public coordinator::ProducerIdSource {
 public:
  explicit ProducerIds(TransactionShard& owner) : owner_(owner) {}

  void next_producer_id(std::function<void(coordinator::NewProducerId)> done) override {
    // next() answers on this shard, after a hop to the control shard.
    owner_.broker_.producer_ids().next([this, done = std::move(done)](ProducerIdResult result) {
      done({result.error, result.producer_id});
      owner_.rearm();
    });
  }

 private:
  TransactionShard& owner_;
};

class TransactionShard::Markers : public coordinator::TxnMarkerWriter {
 public:
  explicit Markers(TransactionShard& owner) : owner_(owner) {}

  bool partition_exists(const coordinator::TopicPartition& tp) const override {
    const cluster::TopicInfo* topic = owner_.broker_.image()->topic(tp.topic);
    return topic && tp.partition >= 0 && static_cast<size_t>(tp.partition) < topic->partitions.size();
  }

  void write_markers(coordinator::TxnMarker marker, std::function<void(std::vector<ErrorCode>)> done) override {
    write_txn_markers(owner_.broker_, owner_.shard_, std::move(marker),
                      [this, done = std::move(done)](std::vector<ErrorCode> errors) {
                        done(std::move(errors));
                        owner_.rearm();
                      });
  }

 private:
  TransactionShard& owner_;
};

coordinator::TransactionConfig transaction_config(const cluster::BrokerConfig& config) {
  coordinator::TransactionConfig out;
  out.max_timeout_ms = static_cast<int32_t>(config.get_int("transaction.max.timeout.ms"));
  out.transactional_id_expiration_ms = static_cast<int32_t>(config.get_int("transactional.id.expiration.ms"));
  out.abort_timed_out_transactions_interval_ms =
      static_cast<int32_t>(config.get_int("transaction.abort.timed.out.transaction.cleanup.interval.ms"));
  out.remove_expired_transactional_ids_interval_ms =
      static_cast<int32_t>(config.get_int("transaction.remove.expired.transaction.cleanup.interval.ms"));
  return out;
}

TransactionShard::TransactionShard(Broker& broker, unsigned shard)
    : broker_(broker),
      shard_(shard),
      store_(std::make_unique<Store>(*this)),
      producer_ids_(std::make_unique<ProducerIds>(*this)),
      markers_(std::make_unique<Markers>(*this)),
      coordinator_(std::make_unique<coordinator::TransactionCoordinator>(transaction_config(broker.config()), *store_,
                                                                         *producer_ids_, *markers_)),
      timer_(broker.shards().context(shard), "the transaction coordinator",
             [this] { return coordinator_->next_deadline_ms(); }, [this](int64_t now) { coordinator_->advance(now); }),
      ownership_(broker, shard, std::string(kTransactionTopic), "transaction coordinator",
                 "transaction.state.log.load.buffer.size",
                 // The partition's leader epoch fences markers of an older coordinator.
                 {.begin_loading = [this](const cluster::PartitionInfo& p) {
                    coordinator_->begin_loading(p.partition, p.leader_epoch);
                  },
                  .replay_batch = [this](int32_t partition, std::span<const uint8_t> batch,
                                         const protocol::RecordBatchHeader& header) { replay_batch(partition, batch, header); },
                  .finish_loading = [this](int32_t partition) { coordinator_->finish_loading(partition, now_ms()); },
                  .unload = [this](int32_t partition) { coordinator_->unload(partition); },
                  .skipped_records = [this] { return coordinator_->skipped_records(); },
                  .changed = [this] { rearm(); }}) {}

TransactionShard::~TransactionShard() = default;

void TransactionShard::reconcile(const cluster::MetadataImage& image) { ownership_.reconcile(image); }

void TransactionShard::replay_batch(int32_t partition, std::span<const uint8_t> batch,
                                    const protocol::RecordBatchHeader& header) {
  if (header.is_control()) return;
  try {
    for (const auto& record : protocol::decode_records(batch, kMaxLoadedBatchBytes)) {
      if (!record.key) continue;
      std::optional<std::span<const uint8_t>> value;
      if (record.value) value = std::span<const uint8_t>(*record.value);
      coordinator_->replay(partition, *record.key, value);
    }
  } catch (const std::exception& e) {
    spdlog::error("{}-{}: skipping an unreadable batch at offset {}: {}", kTransactionTopic, partition,
                  header.base_offset, e.what());
  }
}

void TransactionShard::stop() {
  ownership_.stop();
  timer_.stop();
}

}  // namespace freshet::server
