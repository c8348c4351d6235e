// ProducerStateTable: Kafka's rules for idempotent and transactional
// producers (duplicates, sequences, epochs, transactions, markers, KIP-890
// verification), expiration, its bound and its snapshot rows.
#include <gtest/gtest.h>

#include <climits>

#include "protocol/control_record.h"
#include "protocol/wire.h"
#include "storage/producer_state.h"
#include "storage_test_batches.h"

namespace freshet::storage {
namespace {

namespace st = freshet::storage::testing;
using protocol::ControlRecordType;

constexpr int64_t kProducer = 1000;
constexpr int64_t kOther = 2000;

struct Batch {
  int64_t producer_id = kProducer;
  int16_t epoch = 0;
  int32_t base_sequence = 0;
  int records = 1;
  bool transactional = false;
  int64_t timestamp_ms = 1000;
};

class ProducerStateTest : public ::testing::Test {
 protected:
  ProducerStateTest() : table_("orders-0", config()) {}
  static LogConfig config() {
    LogConfig c;
    c.producer_id_expiration_ms = 60000;
    return c;
  }
  // The header the log would see for `b` at the current log end.
  protocol::RecordBatchHeader header(const Batch& b) const {
    protocol::RecordBatchHeader h;
    h.base_offset = log_end_;
    h.last_offset_delta = b.records - 1;
    h.producer_id = b.producer_id;
    h.producer_epoch = b.epoch;
    h.base_sequence = b.base_sequence;
    h.attributes = b.transactional ? protocol::kTransactionalBit : 0;
    h.base_timestamp = b.timestamp_ms;
    h.max_timestamp = b.timestamp_ms + (b.records - 1);
    h.records_count = b.records;
    return h;
  }
  // Checks `b` as the log does and applies it when accepted.
  ProducerCheck append(const Batch& b, AppendOrigin origin = AppendOrigin::kClient,
                       VerificationGuard guard = kNoVerificationGuard) {
    auto h = header(b);
    ProducerCheck check = table_.check_data_batch(h, h.base_offset, origin, guard);
    if (check.status == AppendStatus::kAppended) {
      table_.apply_data_batch(h);
      log_end_ = h.last_offset() + 1;
    }
    return check;
  }
  ProducerCheck check_marker(int64_t producer_id, int16_t epoch, ControlRecordType type, int32_t coordinator_epoch) {
    return table_.check_end_txn_marker(producer_id, epoch, {type, coordinator_epoch}, log_end_,
                                       AppendOrigin::kCoordinator);
  }
  std::optional<CompletedTxn> marker(int64_t producer_id, int16_t epoch, ControlRecordType type,
                                     int32_t coordinator_epoch = 0, int64_t timestamp_ms = 5000) {
    EXPECT_EQ(check_marker(producer_id, epoch, type, coordinator_epoch).status, AppendStatus::kAppended);
    return table_.apply_end_txn_marker(producer_id, epoch, {type, coordinator_epoch}, log_end_++, timestamp_ms);
  }

  ProducerStateTable table_;
  int64_t log_end_ = 0;
};

TEST_F(ProducerStateTest, ARetryOfAnyOfTheLastFiveBatchesIsADuplicateWithItsOffsets) {
  for (int i = 0; i < 6; ++i)
    ASSERT_EQ(append({.base_sequence = 2 * i, .records = 2, .timestamp_ms = 100 * i}).status, AppendStatus::kAppended);
  for (int i = 1; i < 6; ++i) {
    ProducerCheck again = append({.base_sequence = 2 * i, .records = 2});
    ASSERT_EQ(again.status, AppendStatus::kDuplicate) << i;
    EXPECT_EQ(again.duplicate.first_offset, 2 * i);
    EXPECT_EQ(again.duplicate.last_offset, 2 * i + 1);
    EXPECT_EQ(again.duplicate.max_timestamp, 100 * i + 1);
  }
  // The sixth-last is forgotten: it is now simply out of sequence.
  EXPECT_EQ(append({.base_sequence = 0, .records = 2}).status, AppendStatus::kOutOfOrderSequence);
  // Only an exact sequence range is a duplicate.
  EXPECT_EQ(append({.base_sequence = 10, .records = 1}).status, AppendStatus::kOutOfOrderSequence);
  EXPECT_EQ(log_end_, 12);
}

TEST_F(ProducerStateTest, SequencesMustFollowOnWithoutGaps) {
  ASSERT_EQ(append({.base_sequence = 0, .records = 3}).status, AppendStatus::kAppended);
  ProducerCheck gap = append({.base_sequence = 4});
  EXPECT_EQ(gap.status, AppendStatus::kOutOfOrderSequence);
  EXPECT_EQ(gap.message,
            "Out of order sequence number for producer 1000 at offset 3 in partition orders-0: 4 (incoming seq. "
            "number), 2 (current end sequence number)");
  EXPECT_EQ(append({.base_sequence = 3}).status, AppendStatus::kAppended);
  EXPECT_EQ(table_.find(kProducer)->last_sequence(), 3);
}

TEST_F(ProducerStateTest, SequencesWrapFromIntMaxToZero) {
  ASSERT_EQ(append({.base_sequence = INT32_MAX - 1, .records = 2}).status, AppendStatus::kAppended);
  EXPECT_EQ(table_.find(kProducer)->last_sequence(), INT32_MAX);
  ASSERT_EQ(append({.base_sequence = 0, .records = 1}).status, AppendStatus::kAppended);
  // A batch may straddle the wrap, and its retry is still recognised.
  table_.clear();
  ASSERT_EQ(append({.base_sequence = INT32_MAX, .records = 3}).status, AppendStatus::kAppended);
  EXPECT_EQ(table_.find(kProducer)->last_sequence(), 1);
  EXPECT_EQ(append({.base_sequence = INT32_MAX, .records = 3}).status, AppendStatus::kDuplicate);
  EXPECT_EQ(append({.base_sequence = 1}).status, AppendStatus::kOutOfOrderSequence);
  EXPECT_EQ(append({.base_sequence = 2}).status, AppendStatus::kAppended);
}

TEST_F(ProducerStateTest, ANewEpochMustStartAtSequenceZero) {
  ASSERT_EQ(append({.epoch = 0, .base_sequence = 0, .records = 5}).status, AppendStatus::kAppended);
  ProducerCheck bad = append({.epoch = 1, .base_sequence = 5});
  EXPECT_EQ(bad.status, AppendStatus::kOutOfOrderSequence);
  EXPECT_EQ(bad.message,
            "Invalid sequence number for new epoch of producer 1000 at offset 5 in partition orders-0: 1 (request "
            "epoch), 5 (seq. number), 0 (current producer epoch)");
  ASSERT_EQ(append({.epoch = 1, .base_sequence = 0}).status, AppendStatus::kAppended);
  // The new epoch forgot the old one's batches.
  EXPECT_EQ(table_.find(kProducer)->batches.size(), 1u);
  EXPECT_EQ(table_.find(kProducer)->producer_epoch, 1);
}

TEST_F(ProducerStateTest, AnUnknownProducerIsAcceptedAtAnySequence) {
  EXPECT_EQ(append({.epoch = 3, .base_sequence = 42}).status, AppendStatus::kAppended);
  EXPECT_EQ(append({.epoch = 3, .base_sequence = 43}).status, AppendStatus::kAppended);
  EXPECT_EQ(append({.epoch = 3, .base_sequence = 45}).status, AppendStatus::kOutOfOrderSequence);
}

TEST_F(ProducerStateTest, AnOlderEpochIsFencedExceptForReplicatedBatches) {
  ASSERT_EQ(append({.epoch = 2, .base_sequence = 0}).status, AppendStatus::kAppended);
  ProducerCheck old = append({.epoch = 1, .base_sequence = 0});
  EXPECT_EQ(old.status, AppendStatus::kInvalidProducerEpoch);
  EXPECT_EQ(old.message,
            "Epoch of producer 1000 at offset 1 in orders-0 is 1, which is smaller than the last seen epoch 2");
  EXPECT_EQ(append({.epoch = 1, .base_sequence = 0}, AppendOrigin::kCoordinator).status,
            AppendStatus::kInvalidProducerEpoch);
  EXPECT_EQ(append({.epoch = 1, .base_sequence = 7}, AppendOrigin::kReplication).status, AppendStatus::kAppended);
  EXPECT_EQ(table_.find(kProducer)->producer_epoch, 1);
}

TEST_F(ProducerStateTest, CoordinatorWritesSkipSequencesAndDuplicates) {
  // The group coordinator's transactional offset commits carry no sequence.
  Batch commit{.base_sequence = protocol::kNoSequence, .transactional = true};
  ASSERT_EQ(append(commit, AppendOrigin::kCoordinator, table_.begin_verification(kProducer, 0, -1, 0)).status,
            AppendStatus::kAppended);
  EXPECT_EQ(append(commit, AppendOrigin::kCoordinator).status, AppendStatus::kAppended);
  EXPECT_EQ(log_end_, 2);
}

TEST_F(ProducerStateTest, ATransactionStartsAtItsFirstBatchAndNonTransactionalWritesAreRefusedInside) {
  EXPECT_FALSE(table_.first_unstable_offset());
  ASSERT_EQ(append({.producer_id = kOther, .base_sequence = 0, .records = 4}).status, AppendStatus::kAppended);
  Batch first{.base_sequence = 0, .records = 2, .transactional = true};
  ASSERT_EQ(append(first, AppendOrigin::kClient, table_.begin_verification(kProducer, 0, 0, 0)).status,
            AppendStatus::kAppended);
  EXPECT_EQ(table_.find(kProducer)->current_txn_first_offset, 4);
  EXPECT_EQ(table_.first_unstable_offset(), 4);
  EXPECT_EQ(append({.base_sequence = 2, .records = 1, .transactional = true}).status, AppendStatus::kAppended);
  EXPECT_EQ(table_.find(kProducer)->current_txn_first_offset, 4);

  ProducerCheck plain = append({.base_sequence = 3});
  EXPECT_EQ(plain.status, AppendStatus::kInvalidTxnState);
  EXPECT_EQ(plain.message, "Expected transactional write from producer 1000 at offset 7 in partition orders-0");
}

TEST_F(ProducerStateTest, AMarkerEndsTheTransaction) {
  ASSERT_EQ(append({.base_sequence = 0, .records = 3, .transactional = true}, AppendOrigin::kClient,
                   table_.begin_verification(kProducer, 0, 0, 0))
                .status,
            AppendStatus::kAppended);
  auto completed = marker(kProducer, 0, ControlRecordType::kAbort, 7, 5555);
  ASSERT_TRUE(completed);
  EXPECT_EQ(*completed, (CompletedTxn{kProducer, 0, 3, 4, true}));
  const ProducerStateEntry* entry = table_.find(kProducer);
  EXPECT_FALSE(entry->in_transaction());
  EXPECT_EQ(entry->coordinator_epoch, 7);
  EXPECT_EQ(entry->last_timestamp, 5555);
  EXPECT_FALSE(table_.first_unstable_offset());
  // A marker without a transaction is written but completes nothing.
  EXPECT_FALSE(marker(kProducer, 0, ControlRecordType::kCommit, 7));
  // Sequences go on across markers.
  EXPECT_EQ(append({.base_sequence = 3}).status, AppendStatus::kAppended);
}

TEST_F(ProducerStateTest, TheLastStableOffsetOfAnAbortIsTheEarliestOtherOpenTransaction) {
  auto begin_txn = [&](int64_t producer) {
    Batch b{.producer_id = producer, .base_sequence = 0, .records = 5, .transactional = true};
    ASSERT_EQ(append(b, AppendOrigin::kClient, table_.begin_verification(producer, 0, 0, 0)).status,
              AppendStatus::kAppended);
  };
  begin_txn(kProducer);  // 0..4
  begin_txn(kOther);     // 5..9
  begin_txn(3000);       // 10..14
  EXPECT_EQ(table_.first_unstable_offset(), 0);
  EXPECT_EQ(marker(kOther, 0, ControlRecordType::kAbort), (CompletedTxn{kOther, 5, 15, 0, true}));
  EXPECT_EQ(marker(kProducer, 0, ControlRecordType::kCommit), (CompletedTxn{kProducer, 0, 16, 10, false}));
  EXPECT_EQ(table_.first_unstable_offset(), 10);
  EXPECT_EQ(marker(3000, 0, ControlRecordType::kAbort), (CompletedTxn{3000, 10, 17, 18, true}));
  EXPECT_FALSE(table_.first_unstable_offset());
}

TEST_F(ProducerStateTest, MarkersFromOlderProducerOrCoordinatorEpochsAreFenced) {
  ASSERT_EQ(append({.epoch = 4}).status, AppendStatus::kAppended);
  marker(kProducer, 4, ControlRecordType::kCommit, 9);
  ProducerCheck stale_epoch = check_marker(kProducer, 3, ControlRecordType::kAbort, 9);
  EXPECT_EQ(stale_epoch.status, AppendStatus::kInvalidProducerEpoch);
  ProducerCheck zombie = check_marker(kProducer, 4, ControlRecordType::kAbort, 8);
  EXPECT_EQ(zombie.status, AppendStatus::kCoordinatorFenced);
  EXPECT_EQ(zombie.message,
            "Invalid coordinator epoch for producerId 1000 at offset 2 in partition orders-0: 8 (zombie), 9 (current)");
  EXPECT_EQ(table_.check_end_txn_marker(kProducer, 4, {ControlRecordType::kAbort, 8}, 2, AppendOrigin::kReplication)
                .status,
            AppendStatus::kAppended);
  // A marker with a newer epoch (the coordinator fencing the producer) bumps it.
  marker(kProducer, 5, ControlRecordType::kAbort, 9);
  EXPECT_EQ(table_.find(kProducer)->producer_epoch, 5);
  EXPECT_EQ(append({.epoch = 4, .base_sequence = 1}).status, AppendStatus::kInvalidProducerEpoch);
}

TEST_F(ProducerStateTest, TheFirstTransactionalBatchNeedsAVerifiedGuard) {
  Batch first{.base_sequence = 0, .transactional = true};
  EXPECT_TRUE(table_.needs_verification(header(first)));
  EXPECT_FALSE(table_.needs_verification(header({.base_sequence = 0})));
  ProducerCheck unverified = append(first);
  EXPECT_EQ(unverified.status, AppendStatus::kInvalidTxnState);
  EXPECT_EQ(unverified.message, "Record was not part of an ongoing transaction");

  VerificationGuard guard = table_.begin_verification(kProducer, 0, 0, 0);
  EXPECT_NE(guard, kNoVerificationGuard);
  EXPECT_EQ(table_.begin_verification(kProducer, 0, 0, 0), guard) << "one guard per round trip";
  EXPECT_EQ(append(first, AppendOrigin::kClient, VerificationGuard{guard.value + 1}).status,
            AppendStatus::kInvalidTxnState);
  ASSERT_EQ(append(first, AppendOrigin::kClient, guard).status, AppendStatus::kAppended);
  // Inside the transaction no more verification is needed; a new epoch needs it again.
  EXPECT_FALSE(table_.needs_verification(header({.base_sequence = 1, .transactional = true})));
  EXPECT_TRUE(table_.needs_verification(header({.epoch = 1, .base_sequence = 0, .transactional = true})));
}

TEST_F(ProducerStateTest, AMarkerBetweenVerificationAndAppendVoidsTheGuard) {
  // The coordinator verified the partition, then aborted the transaction; the
  // delayed append must not open a transaction the coordinator no longer knows.
  ASSERT_EQ(append({.base_sequence = 0, .transactional = true}, AppendOrigin::kClient,
                   table_.begin_verification(kProducer, 0, 0, 0))
                .status,
            AppendStatus::kAppended);
  VerificationGuard guard = table_.begin_verification(kProducer, 0, 1, 0);
  marker(kProducer, 0, ControlRecordType::kAbort);
  EXPECT_EQ(append({.base_sequence = 1, .transactional = true}, AppendOrigin::kClient, guard).status,
            AppendStatus::kInvalidTxnState);
  // A fresh round trip works.
  EXPECT_EQ(append({.base_sequence = 1, .transactional = true}, AppendOrigin::kClient,
                   table_.begin_verification(kProducer, 0, 1, 0))
                .status,
            AppendStatus::kAppended);
}

TEST_F(ProducerStateTest, ANewerEpochBetweenVerificationAndAppendVoidsTheGuard) {
  VerificationGuard old_guard = table_.begin_verification(kProducer, 0, 0, 0);
  VerificationGuard new_guard = table_.begin_verification(kProducer, 1, 0, 0);
  EXPECT_NE(old_guard, new_guard);
  EXPECT_EQ(append({.epoch = 0, .base_sequence = 0, .transactional = true}, AppendOrigin::kClient, old_guard).status,
            AppendStatus::kInvalidTxnState);
  // A newer epoch written meanwhile also ends the pending verification.
  VerificationGuard guard = table_.begin_verification(kOther, 0, 0, 0);
  ASSERT_EQ(append({.producer_id = kOther, .epoch = 1, .base_sequence = 0}).status, AppendStatus::kAppended);
  EXPECT_EQ(append({.producer_id = kOther, .epoch = 1, .base_sequence = 1, .transactional = true},
                   AppendOrigin::kClient, guard)
                .status,
            AppendStatus::kInvalidTxnState);
}

TEST_F(ProducerStateTest, VerificationRemembersTheLowestSequenceSeen) {
  ASSERT_EQ(append({.base_sequence = 0, .records = 3}).status, AppendStatus::kAppended);
  table_.begin_verification(kProducer, 0, 5, 0);
  VerificationGuard guard = table_.begin_verification(kProducer, 0, 3, 0);
  ProducerCheck ahead = append({.base_sequence = 5, .transactional = true}, AppendOrigin::kClient, guard);
  EXPECT_EQ(ahead.status, AppendStatus::kOutOfOrderSequence);
  EXPECT_EQ(ahead.message,
            "Out of order sequence number for producer 1000 at offset 3 in partition orders-0: 5 (incoming seq. "
            "number), 3 (earliest seen sequence)");
  EXPECT_EQ(append({.base_sequence = 3, .transactional = true}, AppendOrigin::kClient, guard).status,
            AppendStatus::kAppended);
}

TEST_F(ProducerStateTest, VerificationCanBeDisabled) {
  LogConfig c = config();
  c.transaction_verification_enabled = false;
  table_.set_config(c);
  Batch first{.base_sequence = 0, .transactional = true};
  EXPECT_FALSE(table_.needs_verification(header(first)));
  EXPECT_EQ(append(first).status, AppendStatus::kAppended);
}

TEST_F(ProducerStateTest, IdleProducersExpireButNotThoseInATransaction) {
  ASSERT_EQ(append({.producer_id = 1, .timestamp_ms = 1000}).status, AppendStatus::kAppended);
  ASSERT_EQ(append({.producer_id = 2, .timestamp_ms = 30000}).status, AppendStatus::kAppended);
  ASSERT_EQ(append({.producer_id = 3, .transactional = true, .timestamp_ms = 1000}, AppendOrigin::kClient,
                   table_.begin_verification(3, 0, 0, 0))
                .status,
            AppendStatus::kAppended);
  VerificationGuard guard = table_.begin_verification(4, 0, 0, 1000);
  table_.remove_expired(61000);  // 60 s after producers 1 and 3, 31 s after 2
  EXPECT_FALSE(table_.find(1));
  EXPECT_TRUE(table_.find(2));
  EXPECT_TRUE(table_.find(3));
  // Producer timestamps can be anything.
  ASSERT_EQ(append({.producer_id = 5, .timestamp_ms = INT64_MIN}).status, AppendStatus::kAppended);
  ASSERT_EQ(append({.producer_id = 6, .timestamp_ms = INT64_MAX}).status, AppendStatus::kAppended);
  table_.remove_expired(61000);
  EXPECT_FALSE(table_.find(5));
  EXPECT_TRUE(table_.find(6));
  // The verification begun at 1000 expired too: its guard no longer works.
  EXPECT_EQ(append({.producer_id = 4, .transactional = true}, AppendOrigin::kClient, guard).status,
            AppendStatus::kInvalidTxnState);
}

TEST_F(ProducerStateTest, TheTableIsBoundedByExpiringTheLongestIdleProducers) {
  LogConfig c = config();
  c.max_producer_ids = 16;
  table_.set_config(c);
  ASSERT_EQ(append({.producer_id = 100, .transactional = true, .timestamp_ms = 0}, AppendOrigin::kClient,
                   table_.begin_verification(100, 0, 0, 0))
                .status,
            AppendStatus::kAppended);
  for (int64_t id = 1; id < 16; ++id) ASSERT_EQ(append({.producer_id = id, .timestamp_ms = 10 * id}).status,
                                                AppendStatus::kAppended);
  ASSERT_EQ(table_.size(), 16u);
  ASSERT_EQ(append({.producer_id = 50, .timestamp_ms = 1000}).status, AppendStatus::kAppended);
  // 16 / 8 + 1 = 3 idle producers went: the oldest ones, never the one in a transaction.
  EXPECT_EQ(table_.size(), 14u);
  EXPECT_TRUE(table_.find(100));
  for (int64_t id : {1, 2, 3}) EXPECT_FALSE(table_.find(id)) << id;
  for (int64_t id : {4, 15, 50}) EXPECT_TRUE(table_.find(id)) << id;
}

TEST_F(ProducerStateTest, ActiveProducersListEveryProducer) {
  ASSERT_EQ(append({.producer_id = kOther, .epoch = 2, .base_sequence = 0, .records = 3, .timestamp_ms = 700}).status,
            AppendStatus::kAppended);
  ASSERT_EQ(append({.epoch = 1, .base_sequence = 0, .transactional = true, .timestamp_ms = 800},
                   AppendOrigin::kClient, table_.begin_verification(kProducer, 1, 0, 0))
                .status,
            AppendStatus::kAppended);
  EXPECT_EQ(table_.active_producers(), (std::vector<ActiveProducer>{{kProducer, 1, 0, 800, -1, 3},
                                                                     {kOther, 2, 2, 702, -1, -1}}));
}

TEST_F(ProducerStateTest, SnapshotRowsRoundTripTheLastBatchOfEachProducer) {
  ASSERT_EQ(append({.producer_id = kOther, .base_sequence = INT32_MAX - 1, .records = 4}).status,
            AppendStatus::kAppended);
  ASSERT_EQ(append({.transactional = true}, AppendOrigin::kClient, table_.begin_verification(kProducer, 0, 0, 0)).status,
            AppendStatus::kAppended);
  marker(3000, 2, ControlRecordType::kCommit, 5);  // a producer with no batch remembered
  auto rows = table_.snapshot();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], (ProducerSnapshotEntry{kProducer, 0, 0, 4, 0, 1000, -1, 4}));
  EXPECT_EQ(rows[1], (ProducerSnapshotEntry{kOther, 0, 1, 3, 3, 1003, -1, -1}));
  EXPECT_EQ(rows[2], (ProducerSnapshotEntry{3000, 2, -1, -1, 0, 5000, 5, -1}));

  ProducerStateTable loaded("orders-0", config());
  loaded.load(rows, 2000);
  EXPECT_EQ(loaded.active_producers(), table_.active_producers());
  EXPECT_EQ(loaded.first_unstable_offset(), 4);
  EXPECT_EQ(loaded.snapshot(), rows);
  // The last batch is remembered across a snapshot, wrap-around included.
  auto h = header({.producer_id = kOther, .base_sequence = INT32_MAX - 1, .records = 4});
  ProducerCheck retry = loaded.check_data_batch(h, 99, AppendOrigin::kClient, kNoVerificationGuard);
  EXPECT_EQ(retry.status, AppendStatus::kDuplicate);
  EXPECT_EQ(retry.duplicate.first_offset, 0);
  EXPECT_EQ(retry.duplicate.last_offset, 3);
  // Producers already expired are not loaded (those in a transaction are).
  loaded.load(rows, 70000);
  EXPECT_EQ(loaded.size(), 1u);
  EXPECT_TRUE(loaded.find(kProducer));
}

TEST(EndTxnMarkerOf, ReadsTheMarkerOfAControlBatch) {
  auto batch = protocol::build_end_txn_marker_batch({ControlRecordType::kAbort, 12}, kProducer, 3, 1000);
  EXPECT_EQ(end_txn_marker_of(batch), (protocol::EndTxnMarker{ControlRecordType::kAbort, 12}));

  protocol::RecordBatchOptions options;
  options.control = true;
  options.producer_id = kProducer;
  EXPECT_FALSE(end_txn_marker_of(protocol::RecordBatchBuilder(options).build())) << "an empty control batch";

  protocol::RecordBatchBuilder leader_change(options);
  auto key = protocol::control_record_key(ControlRecordType::kLeaderChange);
  std::vector<uint8_t> value{0, 0};
  leader_change.append(0, std::span<const uint8_t>(key), std::span<const uint8_t>(value));
  EXPECT_THROW(end_txn_marker_of(leader_change.build()), protocol::DecodeError);
}

}  // namespace
}  // namespace freshet::storage
