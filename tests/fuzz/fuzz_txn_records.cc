// __transaction_state records as the transaction coordinator loads them:
// each key/value of the input (a record stream, record_stream.h) is decoded
// with coordinator::decode_txn_record and replayed, in order, into a
// TransactionCoordinator taking over partition 0; loading finishes (half-done
// commits and aborts get their markers and complete), the loaded ids are
// described and listed, and time advances past every transaction timeout and
// transactional.id.expiration.ms, the ports answering at once. A decoded
// record must re-encode (txn_record) to one that decodes to the same image.
#include <spdlog/spdlog.h>

#include <set>
#include <string>

#include "coordinator/transaction_coordinator.h"
#include "coordinator/txn_records.h"
#include "fuzz_target.h"
#include "record_stream.h"

namespace {

using namespace freshet;
using coordinator::StoredRecord;

constexpr int32_t kPartition = 0;
constexpr int64_t kNowMs = 1'700'000'000'000;

// Every port answers successfully, at the next flush.
class ImmediatePorts : public coordinator::TxnLogStore,
                       public coordinator::ProducerIdSource,
                       public coordinator::TxnMarkerWriter {
 public:
  void append(int32_t, std::vector<StoredRecord>, std::function<void(protocol::ErrorCode)> done) override {
    pending_.push_back([done] { done(protocol::ErrorCode::None); });
  }
  void next_producer_id(std::function<void(coordinator::NewProducerId)> done) override {
    pending_.push_back([this, done] { done({protocol::ErrorCode::None, next_producer_id_++}); });
  }
  bool partition_exists(const coordinator::TopicPartition& partition) const override {
    return partition.partition % 7 != 6;  // some partitions are gone
  }
  void write_markers(coordinator::TxnMarker marker, std::function<void(std::vector<protocol::ErrorCode>)> done) override {
    pending_.push_back([done, count = marker.partitions.size()] {
      done(std::vector<protocol::ErrorCode>(count, protocol::ErrorCode::None));
    });
  }
  void flush() {
    while (!pending_.empty()) {
      auto answer = std::move(pending_.front());
      pending_.erase(pending_.begin());
      answer();
    }
  }

 private:
  std::vector<std::function<void()>> pending_;
  int64_t next_producer_id_ = 1'000'000;
};

std::optional<std::span<const uint8_t>> value_of(const StoredRecord& record) {
  if (!record.value) return std::nullopt;
  return std::span<const uint8_t>(*record.value);
}

void check_round_trip(const coordinator::TxnLogRecord& record) {
  const StoredRecord stored = record.image ? coordinator::txn_record(record.transactional_id, *record.image)
                                           : coordinator::txn_tombstone(record.transactional_id);
  const auto again = coordinator::decode_txn_record(stored.key, value_of(stored));
  FUZZ_CHECK(again && again->transactional_id == record.transactional_id);
  FUZZ_CHECK(again->image.has_value() == record.image.has_value());
  if (record.image) FUZZ_CHECK(*again->image == *record.image);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = [] {
    spdlog::set_level(spdlog::level::off);  // the coordinator logs loads, fences and timeouts
    return true;
  }();
  (void)quiet;
  ImmediatePorts ports;
  coordinator::TransactionCoordinator transactions(coordinator::TransactionConfig{}, ports, ports, ports);
  transactions.begin_loading(kPartition, 1);
  std::set<std::string> ids;
  for (const fuzz::StreamRecord& record : fuzz::split_record_stream(std::span<const uint8_t>(data, size))) {
    try {
      if (auto decoded = coordinator::decode_txn_record(record.key, record.value)) {
        check_round_trip(*decoded);
        ids.insert(decoded->transactional_id);
      }
    } catch (const protocol::DecodeError&) {
    }
    transactions.replay(kPartition, record.key, record.value);
  }
  transactions.finish_loading(kPartition, kNowMs);
  ports.flush();
  for (const auto& id : ids) transactions.describe_transaction(kPartition, id);
  transactions.list_transactions({}, kNowMs);
  // Timeouts abort, idle ids expire: eight days in 64 steps.
  constexpr int64_t kStepMs = 8LL * 24 * 3600 * 1000 / 64;
  for (int step = 1; step <= 64; ++step) {
    transactions.advance(kNowMs + step * kStepMs);
    ports.flush();
  }
  transactions.list_transactions({}, kNowMs + 64 * kStepMs);
  transactions.unload(kPartition);
  ports.flush();
  return 0;
}

namespace freshet::fuzz {

void fuzz_seeds(std::vector<Input>& out) {
  Input all;
  // One transactional id in every state a record holds, a tombstone, and
  // an id whose record is overwritten.
  const coordinator::TxnState states[] = {coordinator::TxnState::kEmpty,         coordinator::TxnState::kOngoing,
                                          coordinator::TxnState::kPrepareCommit, coordinator::TxnState::kPrepareAbort,
                                          coordinator::TxnState::kCompleteCommit, coordinator::TxnState::kCompleteAbort};
  int64_t producer_id = 100;
  for (coordinator::TxnState state : states) {
    coordinator::TxnImage image;
    image.producer_id = producer_id++;
    image.producer_epoch = 3;
    image.timeout_ms = 60000;
    image.state = state;
    if (state != coordinator::TxnState::kEmpty) {
      image.partitions = {{"t", 0}, {"t", 6}, {"u", 1}, {"__consumer_offsets", 22}};
      image.start_timestamp_ms = kNowMs - 120'000;
    }
    image.last_update_timestamp_ms = kNowMs - 100'000;
    const StoredRecord record = coordinator::txn_record("txn-" + std::to_string(image.producer_id), image);
    Input one;
    append_stream_record(one, record.key, value_of(record));
    out.push_back(one);
    append_bytes(all, one);
  }
  const StoredRecord tombstone = coordinator::txn_tombstone("txn-100");
  append_stream_record(all, tombstone.key, std::nullopt);
  out.push_back(all);
}

}  // namespace freshet::fuzz
