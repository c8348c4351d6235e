// Helpers for the producer-state tests of PartitionLog: a seeded workload of
// idempotent and transactional producers, and the producer state a plain
// replay of a log's batches gives (what recovery must reproduce).
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <vector>

#include "storage/partition_log.h"
#include "storage/producer_state.h"
#include "storage_test_batches.h"

namespace freshet::storage::testing {

// What a log's producer state shows from outside.
struct ProducerView {
  std::vector<ActiveProducer> producers;
  std::optional<int64_t> first_unstable_offset;
  std::vector<AbortedTxn> aborted;  // every aborted transaction, in marker order
  friend bool operator==(const ProducerView&, const ProducerView&) = default;
};

inline ProducerView view_of(PartitionLog& log) {
  return {log.active_producers(), log.first_unstable_offset(),
          log.aborted_transactions(log.log_start_offset(), log.log_end_offset())};
}

// Feeds every batch of the log, in order, to a fresh table.
inline ProducerView replay(PartitionLog& log, const LogConfig& config) {
  ProducerStateTable table("replay", config);
  ProducerView view;
  auto read = log.read(log.log_start_offset(), INT32_MAX, true, INT64_MAX);
  std::span<const uint8_t> bytes = read.records.bytes;
  for (const auto& h : headers_of(bytes)) {
    auto batch = bytes.first(h.total_size());
    bytes = bytes.subspan(h.total_size());
    if (h.producer_id < 0) continue;
    if (!h.is_control()) {
      table.apply_data_batch(h);
    } else if (auto marker = end_txn_marker_of(batch)) {
      auto done = table.apply_end_txn_marker(h.producer_id, h.producer_epoch, *marker, h.base_offset, h.max_timestamp);
      if (done && done->aborted)
        view.aborted.push_back({done->producer_id, done->first_offset, done->last_offset, done->last_stable_offset});
    }
  }
  view.producers = table.active_producers();
  view.first_unstable_offset = table.first_unstable_offset();
  return view;
}

// Appends as the server would: verifies a batch that needs it first.
inline AppendResult produce(PartitionLog& log, const ProducerBatch& p) {
  auto batch = make_producer_batch(p);
  auto header = *protocol::parse_batch_header(batch);
  AppendChecks checks;
  if (log.needs_verification(header))
    checks.verification_guard = log.begin_verification(p.producer_id, p.producer_epoch, p.base_sequence, 0);
  return log.append(batch, 0, 0, checks);
}

// Three idempotent and three transactional producers writing at random:
// batches of 1-4 records, transactions committed or aborted, now and then a
// transactional producer fenced to a new epoch by its coordinator.
class ProducerWorkload {
 public:
  explicit ProducerWorkload(uint32_t seed) : rng_(seed) {
    for (int i = 0; i < 6; ++i) producers_.push_back({100 + i, 0, 0, i >= 3, false});
  }

  void run(PartitionLog& log, int steps) {
    for (int i = 0; i < steps; ++i) step(log);
  }

 private:
  struct Producer {
    int64_t id;
    int16_t epoch;
    int32_t next_sequence;
    bool transactional;
    bool in_txn;
  };

  void step(PartitionLog& log) {
    Producer& p = producers_[rng_() % producers_.size()];
    ++timestamp_ms_;
    if (p.in_txn && rng_() % 4 == 0) {
      bool commit = rng_() % 2 == 0;
      bool fence = !commit && rng_() % 3 == 0;
      int16_t epoch = fence ? static_cast<int16_t>(p.epoch + 1) : p.epoch;
      auto r = log.append_end_txn_marker(p.id, epoch, 0, commit, 0, timestamp_ms_);
      ASSERT_EQ(r.status, AppendStatus::kAppended) << r.message;
      p.in_txn = false;
      if (fence) p = Producer{p.id, epoch, 0, true, false};
      return;
    }
    int records = 1 + static_cast<int>(rng_() % 4);
    auto r = produce(log, {p.id, p.epoch, p.next_sequence, records, p.transactional, timestamp_ms_});
    ASSERT_EQ(r.status, AppendStatus::kAppended) << r.message;
    p.next_sequence += records;
    p.in_txn = p.transactional;
  }

  std::mt19937 rng_;
  std::vector<Producer> producers_;
  int64_t timestamp_ms_ = 1'000'000;
};

}  // namespace freshet::storage::testing
