// PartitionLog with producers: duplicates are not written, rejections write
// nothing, markers end transactions (and aborts land in the .txnindex of
// their segment), the first unstable offset, aborted transactions across
// segments for read_committed, follower appends, verification, expiration
// and truncation.
#include <gtest/gtest.h>

#include "protocol/control_record.h"
#include "storage/log_file_names.h"
#include "storage/partition_log.h"
#include "storage_test_batches.h"
#include "storage_test_producers.h"

namespace freshet::storage {
namespace {

namespace st = freshet::storage::testing;
using st::ProducerBatch;

using st::kNoLimit;

class TransactionsTest : public ::testing::Test {
 protected:
  TransactionsTest() { config_.producer_id_expiration_ms = INT64_MAX; }
  std::filesystem::path dir() const { return tmp_.path() / "orders-0"; }
  std::unique_ptr<PartitionLog> open() { return PartitionLog::open(dir(), config_, {}, {}); }
  std::vector<protocol::RecordBatchHeader> stored_headers(PartitionLog& log) {
    auto r = log.read(log.log_start_offset(), INT32_MAX, true, kNoLimit);
    return st::headers_of(r.records.bytes);
  }
  // Fills the log with batches without a producer until it has `segments` segments.
  void roll_to(PartitionLog& log, size_t segments) {
    while (log.segment_count() < segments) {
      auto filler = st::make_batch(1, 100, 0);
      log.append(filler, 0, 0);
    }
  }

  LogConfig config_;
  st::TempDir tmp_;
};

TEST_F(TransactionsTest, ARetriedBatchIsAnsweredWithItsOffsetsAndNotWrittenAgain) {
  auto log = open();
  auto first = st::make_producer_batch({.producer_id = 7, .base_sequence = 0, .records = 3, .timestamp_ms = 500});
  auto retry = first;
  EXPECT_EQ(log->append(first, 0, 0).status, AppendStatus::kAppended);
  auto filler = st::make_batch(2, 10, 0);
  log->append(filler, 0, 0);

  AppendResult again = log->append_borrowed(retry, 0, 0);
  EXPECT_EQ(again.status, AppendStatus::kDuplicate);
  EXPECT_EQ(again.base_offset, 0);
  EXPECT_EQ(again.last_offset, 2);
  EXPECT_EQ(again.duplicate_timestamp_ms, 502);
  EXPECT_EQ(log->log_end_offset(), 5);
  EXPECT_EQ(stored_headers(*log).size(), 2u);
}

TEST_F(TransactionsTest, ARejectedBatchWritesNothing) {
  auto log = open();
  ASSERT_EQ(st::produce(*log, {.producer_id = 7, .producer_epoch = 2, .base_sequence = 0}).status,
            AppendStatus::kAppended);
  auto size = log->size_bytes();
  AppendResult gap = st::produce(*log, {.producer_id = 7, .producer_epoch = 2, .base_sequence = 5});
  EXPECT_EQ(gap.status, AppendStatus::kOutOfOrderSequence);
  EXPECT_EQ(gap.base_offset, -1);
  EXPECT_NE(gap.message.find("Out of order sequence number for producer 7 at offset 1 in partition orders-0"),
            std::string::npos);
  EXPECT_EQ(st::produce(*log, {.producer_id = 7, .producer_epoch = 1, .base_sequence = 1}).status,
            AppendStatus::kInvalidProducerEpoch);
  EXPECT_EQ(log->log_end_offset(), 1);
  EXPECT_EQ(log->size_bytes(), size);
}

TEST_F(TransactionsTest, MarkersEndTransactionsAndMoveTheFirstUnstableOffset) {
  auto log = open();
  ASSERT_EQ(st::produce(*log, {.producer_id = 1, .base_sequence = 0, .records = 2, .transactional = true}).status,
            AppendStatus::kAppended);
  ASSERT_EQ(st::produce(*log, {.producer_id = 2, .base_sequence = 0}).status, AppendStatus::kAppended);
  ASSERT_EQ(st::produce(*log, {.producer_id = 3, .base_sequence = 0, .transactional = true}).status,
            AppendStatus::kAppended);
  EXPECT_EQ(log->first_unstable_offset(), 0);

  AppendResult commit = log->append_end_txn_marker(1, 0, 4, true, 0, 9000);
  EXPECT_EQ(commit.status, AppendStatus::kAppended);
  EXPECT_EQ(commit.base_offset, 4);
  EXPECT_EQ(log->first_unstable_offset(), 3);
  auto marker = stored_headers(*log).back();
  EXPECT_TRUE(marker.is_control());
  EXPECT_TRUE(marker.is_transactional());
  EXPECT_EQ(marker.producer_id, 1);
  EXPECT_EQ(marker.base_offset, 4);
  EXPECT_EQ(marker.max_timestamp, 9000);

  EXPECT_EQ(log->append_end_txn_marker(3, 0, 4, false, 0, 9001).status, AppendStatus::kAppended);
  EXPECT_FALSE(log->first_unstable_offset());
  EXPECT_EQ(log->aborted_transactions(0, log->log_end_offset()), (std::vector<AbortedTxn>{{3, 3, 5, 6}}));
  EXPECT_TRUE(std::filesystem::exists(dir() / segment_file_name(0, kTxnIndexFileSuffix)));

  // Fenced markers are not written.
  EXPECT_EQ(log->append_end_txn_marker(3, 0, 3, true, 0, 9002).status, AppendStatus::kCoordinatorFenced);
  ASSERT_EQ(st::produce(*log, {.producer_id = 2, .producer_epoch = 1, .base_sequence = 0}).status,
            AppendStatus::kAppended);
  AppendResult stale = log->append_end_txn_marker(2, 0, 4, true, 0, 9003);
  EXPECT_EQ(stale.status, AppendStatus::kInvalidProducerEpoch);
  EXPECT_FALSE(stale.message.empty());
  EXPECT_EQ(log->log_end_offset(), 7);
}

TEST_F(TransactionsTest, AbortedTransactionsAreFoundAcrossSegments) {
  config_.segment_bytes = 600;
  auto log = open();
  ASSERT_EQ(st::produce(*log, {.producer_id = 1, .base_sequence = 0, .transactional = true}).status,
            AppendStatus::kAppended);  // offset 0
  ASSERT_EQ(st::produce(*log, {.producer_id = 2, .base_sequence = 0, .transactional = true}).status,
            AppendStatus::kAppended);  // offset 1
  roll_to(*log, 3);
  int64_t abort2 = log->log_end_offset();
  ASSERT_EQ(log->append_end_txn_marker(2, 0, 0, false, 0, 0).status, AppendStatus::kAppended);
  roll_to(*log, 5);
  int64_t abort1 = log->log_end_offset();
  ASSERT_EQ(log->append_end_txn_marker(1, 0, 0, false, 0, 0).status, AppendStatus::kAppended);
  roll_to(*log, 6);
  int64_t end = log->log_end_offset();

  const AbortedTxn txn2{2, 1, abort2, 0};  // producer 1's open transaction held the LSO at 0
  const AbortedTxn txn1{1, 0, abort1, abort1 + 1};
  EXPECT_EQ(log->aborted_transactions(0, end), (std::vector<AbortedTxn>{txn2, txn1}));
  EXPECT_EQ(log->aborted_transactions(0, 1), (std::vector<AbortedTxn>{txn1})) << "txn2 starts at the bound";
  EXPECT_EQ(log->aborted_transactions(abort2 + 1, end), (std::vector<AbortedTxn>{txn1}));
  EXPECT_TRUE(log->aborted_transactions(abort1 + 1, end).empty());
  EXPECT_TRUE(log->aborted_transactions(5, 5).empty());
  // Only segments with an abort marker have a transaction index file.
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir())) files += e.path().extension() == ".txnindex";
  EXPECT_EQ(files, 2);
}

TEST_F(TransactionsTest, ATransactionalBatchNeedsAVerifiedGuard) {
  auto log = open();
  auto batch = st::make_producer_batch({.producer_id = 5, .base_sequence = 0, .transactional = true});
  auto header = *protocol::parse_batch_header(batch);
  ASSERT_TRUE(log->needs_verification(header));
  AppendResult unverified = log->append(batch, 0, 0);
  EXPECT_EQ(unverified.status, AppendStatus::kInvalidTxnState);
  EXPECT_EQ(log->log_end_offset(), 0);
  VerificationGuard guard = log->begin_verification(5, 0, 0, 0);
  log->append_end_txn_marker(5, 0, 0, false, 0, 0);  // the coordinator aborted meanwhile
  EXPECT_EQ(log->append(batch, 0, 0, {.verification_guard = guard}).status, AppendStatus::kInvalidTxnState);
  guard = log->begin_verification(5, 0, 0, 0);
  EXPECT_EQ(log->append(batch, 0, 0, {.verification_guard = guard}).status, AppendStatus::kAppended);
  EXPECT_FALSE(log->needs_verification(header));
}

TEST_F(TransactionsTest, FollowersTakeTheLeadersBatchesUnchecked) {
  auto log = open();
  auto batch = st::make_producer_batch({.producer_id = 9, .producer_epoch = 3, .base_sequence = 10,
                                        .transactional = true});
  EXPECT_EQ(log->append_as_follower(batch, 0).status, AppendStatus::kAppended);
  auto older = st::make_producer_batch({.producer_id = 9, .producer_epoch = 2, .base_sequence = 50,
                                        .transactional = true});
  protocol::set_base_offset(older, 1);
  EXPECT_EQ(log->append_as_follower(older, 0).status, AppendStatus::kAppended);
  auto marker = protocol::build_end_txn_marker_batch({protocol::ControlRecordType::kAbort, 1}, 9, 2, 0, 2);
  EXPECT_EQ(log->append_as_follower(marker, 0).status, AppendStatus::kAppended);
  EXPECT_EQ(log->active_producers(), (std::vector<ActiveProducer>{{9, 2, 50, 0, 1, -1}}));
  EXPECT_EQ(log->aborted_transactions(0, 3), (std::vector<AbortedTxn>{{9, 0, 2, 3}}));
}

TEST_F(TransactionsTest, IdleProducersExpire) {
  config_.producer_id_expiration_ms = 1000;
  auto log = open();
  ASSERT_EQ(st::produce(*log, {.producer_id = 1, .timestamp_ms = 5000}).status, AppendStatus::kAppended);
  ASSERT_EQ(st::produce(*log, {.producer_id = 2, .transactional = true, .timestamp_ms = 5000}).status,
            AppendStatus::kAppended);
  log->remove_expired_producers(5999);
  EXPECT_EQ(log->active_producers().size(), 2u);
  log->remove_expired_producers(6000);
  ASSERT_EQ(log->active_producers().size(), 1u);
  EXPECT_EQ(log->active_producers()[0].producer_id, 2);
  // Producer 1 is unknown again: any sequence is accepted.
  EXPECT_EQ(st::produce(*log, {.producer_id = 1, .base_sequence = 77}).status, AppendStatus::kAppended);
}

TEST_F(TransactionsTest, TruncationReloadsTheProducerStateOfTheSurvivingLog) {
  config_.segment_bytes = 1024;
  auto log = open();
  st::ProducerWorkload(3).run(*log, 150);
  ASSERT_GT(log->segment_count(), 4u);
  int64_t cut = log->log_end_offset() / 2;
  log->truncate_to(cut);
  EXPECT_EQ(st::view_of(*log), st::replay(*log, config_));
  for (int64_t offset : list_producer_snapshots(dir())) EXPECT_LE(offset, log->log_end_offset());
  EXPECT_GE(log->producer_state_load().snapshot_offset, 0);

  log->truncate_to(0);
  EXPECT_TRUE(log->active_producers().empty());
  EXPECT_TRUE(list_producer_snapshots(dir()).empty());
}

}  // namespace
}  // namespace freshet::storage
