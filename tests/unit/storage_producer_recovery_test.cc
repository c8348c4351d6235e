// Producer state across restarts: snapshots at rolls and at clean close
// (Kafka's names), a clean start that reads no batch, crash recovery that
// rebuilds the state and the transaction indexes from the surviving batches,
// corrupt and out-of-range snapshots.
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "storage/log_file_names.h"
#include "storage/partition_log.h"
#include "storage_test_batches.h"
#include "storage_test_producers.h"

namespace freshet::storage {
namespace {

namespace st = freshet::storage::testing;

class ProducerRecoveryTest : public ::testing::Test {
 protected:
  ProducerRecoveryTest() {
    config_.segment_bytes = 1024;
    config_.index_interval_bytes = 256;
    config_.producer_id_expiration_ms = INT64_MAX;
  }
  std::filesystem::path dir() const { return tmp_.path() / "orders-0"; }
  std::unique_ptr<PartitionLog> open(StartupState state) { return PartitionLog::open(dir(), config_, {}, state); }
  std::unique_ptr<PartitionLog> open_clean() { return open({.clean_shutdown = true}); }
  std::unique_ptr<PartitionLog> open_unclean(int64_t recovery_point = 0) {
    return open({.clean_shutdown = false, .recovery_point = recovery_point});
  }
  std::vector<int64_t> segment_bases() const {
    std::vector<int64_t> bases;
    for (const auto& e : std::filesystem::directory_iterator(dir()))
      if (auto base = parse_segment_file_name(e.path().filename().string(), kLogFileSuffix)) bases.push_back(*base);
    std::sort(bases.begin(), bases.end());
    return bases;
  }
  std::filesystem::path log_file(int64_t base) const { return dir() / segment_file_name(base, kLogFileSuffix); }
  std::filesystem::path snapshot_file(int64_t offset) const {
    return dir() / segment_file_name(offset, kProducerSnapshotFileSuffix);
  }

  LogConfig config_;
  st::TempDir tmp_;
};

TEST_F(ProducerRecoveryTest, SnapshotsAreWrittenAtEveryRollAndAtCleanClose) {
  auto log = open_unclean();
  st::ProducerWorkload(1).run(*log, 120);
  ASSERT_GT(log->segment_count(), 3u);
  int64_t end = log->log_end_offset();
  log->close();
  std::vector<int64_t> expected = segment_bases();
  expected.erase(expected.begin());  // the first segment was not rolled to
  expected.push_back(end);
  EXPECT_EQ(list_producer_snapshots(dir()), expected);
}

TEST_F(ProducerRecoveryTest, ACleanStartReadsNoBatchAndKeepsTheState) {
  auto log = open_unclean();
  st::ProducerWorkload(2).run(*log, 200);
  st::ProducerView before = st::view_of(*log);
  log->close();

  log = open_clean();
  EXPECT_EQ(log->producer_state_load().snapshot_offset, log->log_end_offset());
  EXPECT_EQ(log->producer_state_load().batches_replayed, 0u);
  EXPECT_EQ(st::view_of(*log), before);
  EXPECT_EQ(st::view_of(*log), st::replay(*log, config_));
  // The last batch of each producer is still recognised as a retry.
  auto read = log->read(0, INT32_MAX, true, INT64_MAX);
  auto headers = st::headers_of(read.records.bytes);
  int retried = 0;
  for (const auto& p : log->active_producers()) {
    auto last = std::find_if(headers.rbegin(), headers.rend(), [&](const auto& h) {
      return h.producer_id == p.producer_id && !h.is_control();
    });
    if (last == headers.rend() || last->producer_epoch != p.producer_epoch) continue;  // fenced since
    st::ProducerBatch retry{last->producer_id, last->producer_epoch, last->base_sequence,
                            last->last_offset_delta + 1, last->is_transactional(), 0};
    AppendResult again = st::produce(*log, retry);
    EXPECT_EQ(again.status, AppendStatus::kDuplicate) << p.producer_id;
    EXPECT_EQ(again.base_offset, last->base_offset);
    ++retried;
  }
  EXPECT_GT(retried, 0);
}

TEST_F(ProducerRecoveryTest, AStartWithoutASnapshotAtTheEndReplaysFromTheLatestOne) {
  auto log = open_unclean();
  st::ProducerWorkload(3).run(*log, 200);
  st::ProducerView before = st::view_of(*log);
  int64_t active_base = segment_bases().back();
  log->close();
  std::filesystem::remove(snapshot_file(log->log_end_offset()));

  log = open_clean();
  EXPECT_EQ(log->producer_state_load().snapshot_offset, active_base);
  EXPECT_GT(log->producer_state_load().batches_replayed, 0u);
  EXPECT_EQ(st::view_of(*log), before);
}

TEST_F(ProducerRecoveryTest, ACorruptSnapshotIsDeletedAndAnOlderOneUsed) {
  auto log = open_unclean();
  st::ProducerWorkload(4).run(*log, 200);
  st::ProducerView before = st::view_of(*log);
  int64_t end = log->log_end_offset();
  log->close();
  auto snapshots = list_producer_snapshots(dir());
  ASSERT_GE(snapshots.size(), 3u);
  for (int64_t offset : {snapshots.back(), snapshots[snapshots.size() - 2]}) {
    std::fstream file(snapshot_file(offset), std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(12);
    file.put('\x5a');
  }

  log = open_clean();
  EXPECT_EQ(log->producer_state_load().snapshot_offset, snapshots[snapshots.size() - 3]);
  EXPECT_FALSE(std::filesystem::exists(snapshot_file(end)));
  EXPECT_EQ(st::view_of(*log), before);
  log->close();

  // With no readable snapshot at all the state is rebuilt from the log start.
  for (int64_t offset : list_producer_snapshots(dir())) std::filesystem::resize_file(snapshot_file(offset), 3);
  log = open_clean();
  EXPECT_EQ(log->producer_state_load().snapshot_offset, -1);
  EXPECT_EQ(st::view_of(*log), before);
}

TEST_F(ProducerRecoveryTest, StraySnapshotsAreRemovedAtOpen) {
  auto log = open_unclean();
  st::ProducerWorkload(5).run(*log, 100);
  log->close();
  int64_t end = log->log_end_offset();
  auto bases = segment_bases();
  // Two stray snapshots below the last base (e.g. from earlier clean closes)
  // and one above the log end (data lost since it was taken).
  for (int64_t offset : {bases[1] + 1, bases.back() - 1, end + 10})
    std::filesystem::copy_file(snapshot_file(end), snapshot_file(offset));

  log = open_clean();
  std::vector<int64_t> expected(bases.begin() + 1, bases.end());
  expected.push_back(end);
  EXPECT_EQ(list_producer_snapshots(dir()), expected);
}

// Power loss keeps any prefix of the log: cut it at random bytes, recover,
// and compare with a plain replay of what survived.
TEST_F(ProducerRecoveryTest, RecoveryRebuildsStateAndTransactionIndexesFromTheSurvivingLog) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 12; ++trial) {
    SCOPED_TRACE(trial);
    std::filesystem::remove_all(dir());
    auto log = open_unclean();
    st::ProducerWorkload(100 + trial).run(*log, 200);
    log.reset();  // a crash: no snapshot at the end, nothing sealed

    // Keep a random prefix: cut one segment, remove the later ones.
    auto bases = segment_bases();
    size_t cut_segment = rng() % bases.size();
    auto cut_file = log_file(bases[cut_segment]);
    std::filesystem::resize_file(cut_file, rng() % (std::filesystem::file_size(cut_file) + 1));
    for (size_t i = cut_segment + 1; i < bases.size(); ++i) std::filesystem::remove(log_file(bases[i]));
    // The segments before the recovery point were synced: they are trusted.
    int64_t recovery_point = bases[rng() % (cut_segment + 1)];
    if (trial % 3 == 0) {
      // Lost transaction indexes are rebuilt as well.
      for (const auto& e : std::filesystem::directory_iterator(dir()))
        if (e.path().extension() == ".txnindex" && e.path().filename() >= log_file(recovery_point).filename())
          std::filesystem::remove(e.path());
    }

    log = open_unclean(recovery_point);
    st::ProducerView recovered = st::view_of(*log);
    EXPECT_EQ(recovered, st::replay(*log, config_));
    for (int64_t offset : list_producer_snapshots(dir())) EXPECT_LE(offset, log->log_end_offset());

    // Producers go on from the surviving state.
    for (const auto& p : log->active_producers()) {
      if (p.current_txn_start_offset >= 0 || p.last_sequence < 0) continue;
      st::ProducerBatch next{p.producer_id, p.producer_epoch, p.last_sequence + 2, 1, false, 0};
      EXPECT_EQ(st::produce(*log, next).status, AppendStatus::kOutOfOrderSequence);
      next.base_sequence = p.last_sequence + 1;
      EXPECT_EQ(st::produce(*log, next).status, AppendStatus::kAppended);
    }
    // And a clean restart afterwards gives the same state again.
    recovered = st::view_of(*log);
    log->close();
    log = open_clean();
    EXPECT_EQ(log->producer_state_load().batches_replayed, 0u);
    EXPECT_EQ(st::view_of(*log), recovered);
  }
}

TEST_F(ProducerRecoveryTest, ATornMarkerLeavesTheTransactionOpen) {
  config_.segment_bytes = 1 << 20;
  auto log = open_unclean();
  ASSERT_EQ(st::produce(*log, {.producer_id = 1, .base_sequence = 0, .transactional = true}).status,
            AppendStatus::kAppended);
  int64_t size_before_marker = static_cast<int64_t>(log->size_bytes());
  ASSERT_EQ(log->append_end_txn_marker(1, 0, 0, false, 0, 0).status, AppendStatus::kAppended);
  EXPECT_EQ(log->aborted_transactions(0, 2).size(), 1u);
  log.reset();
  std::filesystem::resize_file(log_file(0), size_before_marker + 30);

  log = open_unclean();
  EXPECT_EQ(log->log_end_offset(), 1);
  EXPECT_EQ(log->first_unstable_offset(), 0);
  EXPECT_TRUE(log->aborted_transactions(0, 1).empty());
  EXPECT_EQ(std::filesystem::file_size(dir() / segment_file_name(0, kTxnIndexFileSuffix)), 0u);
}

}  // namespace
}  // namespace freshet::storage
