// The log cleaner end to end on a real PartitionLog: what a cleaning may
// read (dirty ratio, lag, the uncleanable offset), what it keeps (latest per
// key, tombstones and markers until their horizon, aborted data never,
// producers' last headers), a map too small for the keys, merged segments,
// a stale cleaning, and every point at which a crash may cut a swap.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "protocol/control_record.h"
#include "protocol/record_batch_builder.h"
#include "protocol/record_scanner.h"
#include "storage/log_cleaner.h"
#include "storage/log_file_names.h"
#include "storage/partition_log.h"
#include "storage_test_batches.h"

namespace freshet::storage::cleaner_test {
namespace {

namespace st = freshet::storage::testing;
using st::kNoLimit;
using st::kTopicId;

// Later than any file's mtime: a segment left empty ages by its mtime.
constexpr int64_t kNow = 4'000'000'000'000;
constexpr int64_t kDeleteRetentionMs = 1000;

std::span<const uint8_t> bytes(const std::string& text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

// One record to produce: a null value is a tombstone.
struct KeyValue {
  std::string key;
  std::optional<std::string> value;
};

struct StoredRecord {
  int64_t offset;
  std::optional<std::string> key;
  std::optional<std::string> value;
  friend bool operator==(const StoredRecord&, const StoredRecord&) = default;
  friend void PrintTo(const StoredRecord& r, std::ostream* out) {
    *out << r.offset << ":" << r.key.value_or("null") << "=" << r.value.value_or("null");
  }
};

std::vector<uint8_t> keyed_batch(const std::vector<KeyValue>& records, protocol::RecordBatchOptions options = {}) {
  protocol::RecordBatchBuilder builder(options);
  int64_t timestamp = 1000;
  for (const auto& r : records) {
    protocol::BytesView value;
    if (r.value) value = bytes(*r.value);
    builder.append(timestamp++, bytes(r.key), value);
  }
  return builder.build();
}

class CleanerTest : public st::PartitionDirTest {
 protected:
  // Every batch in a segment of its own (segment.bytes = 1), unless a test
  // raises it; cleanings merge them back up to segment.bytes.
  static LogConfig compacted() {
    LogConfig config;
    config.segment_bytes = 1;
    config.delete_retention = false;
    config.compact = true;
    config.min_cleanable_dirty_ratio = 0;
    config.delete_retention_ms = kDeleteRetentionMs;
    config.transaction_verification_enabled = false;
    return config;
  }
  static void produce(PartitionLog& log, const std::vector<KeyValue>& records, protocol::RecordBatchOptions options = {}) {
    auto batch = keyed_batch(records, options);
    ASSERT_EQ(log.append(batch, 0, kNow).status, AppendStatus::kAppended);
  }
  // Plans, runs and installs one cleaning (the map holding `map_bytes`);
  // false when none was due.
  bool clean(PartitionLog& log, int64_t now_ms = kNow, size_t map_bytes = 1 << 20) {
    auto job = log.plan_cleaning(now_ms, log.log_end_offset());
    if (!job) return false;
    last_result_ = run(*job, now_ms, map_bytes);
    return log.install_cleaned(*job, last_result_, now_ms);
  }
  CleaningResult run(const CleaningJob& job, int64_t now_ms, size_t map_bytes = 1 << 20) {
    OffsetMap map(map_bytes);
    IoThrottle throttle(0);
    return clean_log(job, {&map, &throttle, &stop_, 4096}, now_ms);
  }
  // Every data record of the log from its start, with its offset.
  static std::vector<StoredRecord> records_of(PartitionLog& log) {
    std::vector<StoredRecord> out;
    auto read = log.read(log.log_start_offset(), INT32_MAX, true, kNoLimit);
    std::span<const uint8_t> rest = read.records.bytes;
    while (!rest.empty()) {
      auto header = *protocol::parse_batch_header(rest);
      auto batch = rest.first(header.total_size());
      rest = rest.subspan(header.total_size());
      if (header.is_control()) continue;
      protocol::RecordScanner scanner(batch, header, {});
      while (auto r = scanner.next()) {
        StoredRecord s{header.base_offset + r->offset_delta, std::nullopt, std::nullopt};
        if (r->key) s.key = std::string(r->key->begin(), r->key->end());
        if (r->value) s.value = std::string(r->value->begin(), r->value->end());
        out.push_back(s);
      }
    }
    return out;
  }
  static std::vector<protocol::RecordBatchHeader> batches_of(PartitionLog& log) {
    auto read = log.read(log.log_start_offset(), INT32_MAX, true, kNoLimit);
    return st::headers_of(read.records.bytes);
  }
  std::atomic<bool> stop_{false};
  CleaningResult last_result_;
};

TEST_F(CleanerTest, KeepsTheLatestValueOfEachKeyAtItsOffsetAndMergesSegments) {
  LogConfig config = compacted();
  auto log = open(config);
  produce(*log, {{"a", "a0"}, {"b", "b0"}});  // 0-1
  produce(*log, {{"a", "a1"}, {"c", "c0"}});  // 2-3
  produce(*log, {{"b", "b1"}});               // 4
  produce(*log, {{"a", "a2"}});               // 5, the active segment
  ASSERT_EQ(log->segment_count(), 4u);

  config.segment_bytes = 1 << 20;  // outputs may now merge
  log->set_config(config);
  ASSERT_TRUE(clean(*log));
  EXPECT_EQ(log->cleaner_offset(), 5);
  EXPECT_EQ(log->segment_count(), 2u);  // the three sealed ones merged, and the active one
  EXPECT_EQ(log->log_start_offset(), 0);
  EXPECT_EQ(log->log_end_offset(), 6);
  // The active segment's a2 hides nothing yet: cleaning never reads it.
  EXPECT_EQ(records_of(*log), (std::vector<StoredRecord>{{2, "a", "a1"}, {3, "c", "c0"}, {4, "b", "b1"}, {5, "a", "a2"}}));
  // Nothing is dirty any more.
  EXPECT_FALSE(log->plan_cleaning(kNow, log->log_end_offset()));

  // Survives a reopen; the next cleaning starts at the checkpointed offset.
  log->close();
  log = open(config, {true, 6, 0, 5});
  EXPECT_EQ(records_of(*log).size(), 4u);
  EXPECT_EQ(log->cleaner_offset(), 5);
  EXPECT_EQ(files_ending_with(".cleaned") + files_ending_with(".swap"), 0u);
}

TEST_F(CleanerTest, OnlyWholeSegmentsBelowTheUncleanableOffsetAndPastTheLagAreCleaned) {
  LogConfig config = compacted();
  auto log = open(config);
  produce(*log, {{"k", "0"}});  // 0
  produce(*log, {{"k", "1"}});  // 1
  produce(*log, {{"k", "2"}});  // 2
  produce(*log, {{"k", "3"}});  // 3 (active)
  // An open transaction or the high watermark at 2: segments [0] and [1] only.
  auto job = log->plan_cleaning(kNow, 2);
  ASSERT_TRUE(job);
  ASSERT_EQ(job->segments.size(), 2u);
  EXPECT_EQ(job->segments.back().end_offset, 2);
  ASSERT_TRUE(log->install_cleaned(*job, run(*job, kNow), kNow));
  EXPECT_EQ(records_of(*log), (std::vector<StoredRecord>{{1, "k", "1"}, {2, "k", "2"}, {3, "k", "3"}}));

  // min.compaction.lag.ms: records stamped 1000 ms are too young at 1500 ms.
  config.min_compaction_lag_ms = 1000;
  log->set_config(config);
  EXPECT_FALSE(log->plan_cleaning(1500, log->log_end_offset()));
  EXPECT_TRUE(log->plan_cleaning(kNow, log->log_end_offset()));
}

TEST_F(CleanerTest, TheDirtyRatioOrMaxCompactionLagDecides) {
  LogConfig config = compacted();
  config.min_cleanable_dirty_ratio = 0.5;
  auto log = open(config);
  for (int i = 0; i < 4; ++i) produce(*log, {{"k" + std::to_string(i), "v"}});
  ASSERT_TRUE(clean(*log));  // all dirty: ratio 1
  EXPECT_EQ(log->cleaner_offset(), 3);
  produce(*log, {{"x", "v"}});  // seals [3]: 1 dirty segment of 4
  auto job = log->plan_cleaning(kNow, log->log_end_offset());
  EXPECT_FALSE(job);
  // Its first batch (stamped 1000) is older than max.compaction.lag.ms.
  config.max_compaction_lag_ms = 5000;
  log->set_config(config);
  job = log->plan_cleaning(kNow, log->log_end_offset());
  ASSERT_TRUE(job);
  EXPECT_LT(job->dirty_ratio, 0.5);
}

TEST_F(CleanerTest, TombstonesStayForDeleteRetentionMsThenGo) {
  auto log = open(compacted());
  produce(*log, {{"a", "a0"}, {"b", "b0"}});  // 0-1
  produce(*log, {{"a", std::nullopt}});       // 2: a's tombstone
  produce(*log, {{"c", "c0"}});               // 3
  produce(*log, {{"d", "d0"}});               // 4 (active)
  ASSERT_TRUE(clean(*log, kNow));
  EXPECT_EQ(records_of(*log),
            (std::vector<StoredRecord>{{1, "b", "b0"}, {2, "a", std::nullopt}, {3, "c", "c0"}, {4, "d", "d0"}}));
  auto tombstone_batch = batches_of(*log)[1];
  ASSERT_TRUE(tombstone_batch.has_delete_horizon());
  EXPECT_EQ(tombstone_batch.base_timestamp, kNow + kDeleteRetentionMs);

  // A later cleaning before the horizon keeps it; one after drops it. The
  // log end's segment must be dirty for a cleaning to be due.
  produce(*log, {{"e", "e0"}});
  ASSERT_TRUE(clean(*log, kNow + kDeleteRetentionMs - 1));
  EXPECT_EQ(records_of(*log).size(), 5u);
  produce(*log, {{"f", "f0"}});
  ASSERT_TRUE(clean(*log, kNow + kDeleteRetentionMs));
  EXPECT_EQ(records_of(*log), (std::vector<StoredRecord>{{1, "b", "b0"}, {3, "c", "c0"}, {4, "d", "d0"},
                                                         {5, "e", "e0"}, {6, "f", "f0"}}));
}

TEST_F(CleanerTest, AMapTooSmallForTheKeysCleansInSeveralPasses) {
  auto log = open(compacted());
  for (int round = 0; round < 2; ++round)
    for (int k = 0; k < 20; ++k) produce(*log, {{"key-" + std::to_string(k), std::to_string(round)}});
  produce(*log, {{"end", "x"}});  // offsets 0-39 sealed, 40 active
  // Room for 9 keys (10 slots at load factor 0.9).
  ASSERT_TRUE(clean(*log, kNow, 10 * OffsetMap::kSlotBytes));
  EXPECT_EQ(log->cleaner_offset(), 9);
  EXPECT_EQ(last_result_.stats.keys_mapped, 9u);
  int passes = 1;
  while (clean(*log, kNow, 10 * OffsetMap::kSlotBytes)) ASSERT_LT(++passes, 10);
  EXPECT_EQ(log->cleaner_offset(), 40);
  std::map<std::string, std::string> latest;
  for (const auto& r : records_of(*log)) {
    ASSERT_FALSE(latest.contains(*r.key)) << *r.key << " appears twice";
    latest[*r.key] = *r.value;
  }
  ASSERT_EQ(latest.size(), 21u);
  for (int k = 0; k < 20; ++k) EXPECT_EQ(latest["key-" + std::to_string(k)], "1");
}

TEST_F(CleanerTest, CompressedBatchesAreRewrittenWithTheirCodec) {
  auto log = open(compacted());
  protocol::RecordBatchOptions zstd;
  zstd.compression = protocol::Compression::Zstd;
  produce(*log, {{"a", "a0"}, {"b", "b0"}, {"c", "c0"}}, zstd);
  produce(*log, {{"a", "a1"}});
  produce(*log, {{"end", "x"}});
  ASSERT_TRUE(clean(*log));
  auto batches = batches_of(*log);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0].compression(), protocol::Compression::Zstd);
  EXPECT_EQ(batches[0].records_count, 2);
  EXPECT_EQ(records_of(*log)[0], (StoredRecord{1, "b", "b0"}));
}

TEST_F(CleanerTest, AbortedDataGoesAndMarkersGoOnlyWhenTheirTransactionIsGone) {
  LogConfig config = compacted();
  auto log = open(config);
  protocol::RecordBatchOptions txn;
  txn.producer_id = 7;
  txn.producer_epoch = 0;
  txn.transactional = true;
  txn.base_sequence = 0;
  produce(*log, {{"a", "aborted"}}, txn);  // 0
  ASSERT_EQ(log->append_end_txn_marker(7, 0, 0, /*commit=*/false, 0, kNow).status, AppendStatus::kAppended);  // 1
  txn.base_sequence = 1;
  produce(*log, {{"b", "committed"}}, txn);  // 2
  ASSERT_EQ(log->append_end_txn_marker(7, 0, 0, /*commit=*/true, 0, kNow).status, AppendStatus::kAppended);  // 3
  produce(*log, {{"b", "b-later"}});  // 4 (supersedes 2)
  produce(*log, {{"end", "x"}});      // 5 (active)
  config.segment_bytes = 1 << 20;     // one group: the cleaning sees each transaction whole
  log->set_config(config);
  auto bases_of = [&] {
    std::vector<int64_t> bases;
    for (const auto& b : batches_of(*log)) bases.push_back(b.base_offset);
    return bases;
  };

  ASSERT_TRUE(clean(*log, kNow));
  // The aborted record went; its marker stays, with its .txnindex entry,
  // for consumers between the two. Producer 7's last batch (2) keeps its
  // header, so its commit marker stays too.
  auto batches = batches_of(*log);
  EXPECT_EQ(bases_of(), (std::vector<int64_t>{1, 2, 3, 4, 5}));
  EXPECT_TRUE(batches[0].is_control());
  EXPECT_FALSE(batches[0].has_delete_horizon());
  EXPECT_EQ(batches[1].records_count, 0);
  EXPECT_EQ(batches[1].producer_id, 7);
  EXPECT_TRUE(batches[2].is_control());
  EXPECT_FALSE(batches[2].has_delete_horizon());
  EXPECT_EQ(log->aborted_transactions(0, 6).size(), 1u);
  EXPECT_EQ(records_of(*log), (std::vector<StoredRecord>{{4, "b", "b-later"}, {5, "end", "x"}}));

  // The next cleaning finds the abort marker's transaction gone: it gets a
  // horizon, and a cleaning past it drops the marker and its entry.
  config.segment_bytes = 1;  // each batch below seals the one before
  log->set_config(config);
  produce(*log, {{"more", "1"}});
  ASSERT_TRUE(clean(*log, kNow + 1));
  EXPECT_TRUE(batches_of(*log)[0].has_delete_horizon());
  produce(*log, {{"more", "2"}});
  ASSERT_TRUE(clean(*log, kNow + 1 + kDeleteRetentionMs));
  EXPECT_EQ(bases_of(), (std::vector<int64_t>{2, 3, 4, 5, 6, 7}));
  EXPECT_TRUE(log->aborted_transactions(0, 8).empty());

  // Producer 7 carries on where it was after a reopen.
  log->close();
  log = open(config, {true, 8, 0, log->cleaner_offset()});
  txn.base_sequence = 1;
  auto duplicate = keyed_batch({{"b", "committed"}}, txn);
  EXPECT_EQ(log->append(duplicate, 0, kNow).status, AppendStatus::kDuplicate);
  txn.base_sequence = 2;
  auto next = keyed_batch({{"c", "c0"}}, txn);
  EXPECT_EQ(log->append(next, 0, kNow).status, AppendStatus::kAppended);
}

TEST_F(CleanerTest, ACleaningOfSegmentsRetentionRemovedMeanwhileIsDiscarded) {
  auto log = open(compacted());
  produce(*log, {{"a", "0"}});
  produce(*log, {{"a", "1"}});
  produce(*log, {{"a", "2"}});
  auto job = log->plan_cleaning(kNow, log->log_end_offset());
  ASSERT_TRUE(job);
  CleaningResult result = run(*job, kNow);
  EXPECT_EQ(files_ending_with(".log.cleaned"), 2u);
  log->advance_log_start_offset(1);
  log->enforce_retention(kNow, log->log_end_offset());  // the segment at 0 goes
  EXPECT_FALSE(log->install_cleaned(*job, result, kNow));
  EXPECT_EQ(files_ending_with(".cleaned"), 0u);
  EXPECT_EQ(records_of(*log), (std::vector<StoredRecord>{{1, "a", "1"}, {2, "a", "2"}}));
}

TEST_F(CleanerTest, AStoppedCleaningLeavesNothingBehind) {
  auto log = open(compacted());
  produce(*log, {{"a", "0"}});
  produce(*log, {{"a", "1"}});
  auto job = log->plan_cleaning(kNow, log->log_end_offset());
  ASSERT_TRUE(job);
  stop_ = true;
  EXPECT_THROW(run(*job, kNow), CleaningStopped);
  EXPECT_EQ(files_ending_with(".cleaned"), 0u);
}

// A crash at each step of a swap: the log reopens with either the old
// segments or the cleaned one, never both, never neither.
class SwapCrashTest : public CleanerTest, public ::testing::WithParamInterface<int> {};

TEST_P(SwapCrashTest, ReopenFindsOneWholeLog) {
  const int step = GetParam();
  LogConfig config = compacted();
  auto log = open(config);
  produce(*log, {{"a", "a0"}, {"b", "b0"}});  // 0-1
  produce(*log, {{"a", "a1"}});               // 2
  produce(*log, {{"c", "c0"}});               // 3 (active)
  config.segment_bytes = 1 << 20;
  log->set_config(config);
  auto job = log->plan_cleaning(kNow, log->log_end_offset());
  ASSERT_TRUE(job);
  CleaningResult result = run(*job, kNow);
  ASSERT_EQ(result.segments.size(), 1u);
  ASSERT_EQ(result.segments[0].replaced, 2u);
  const auto original = records_of(*log);
  log->close();
  log.reset();

  // Replays swap_in()'s renames up to `step` by hand.
  auto name = [&](int64_t base, std::string_view kind, std::string_view suffix = {}) {
    return dir() / (segment_file_name(base, kind) + std::string(suffix));
  };
  const std::string_view indexes[] = {kOffsetIndexFileSuffix, kTimeIndexFileSuffix, kTxnIndexFileSuffix};
  int done = 0;
  auto rename = [&](const std::filesystem::path& from, const std::filesystem::path& to) {
    if (done++ >= step) return;
    std::error_code ec;
    std::filesystem::rename(from, to, ec);
  };
  for (auto kind : indexes) rename(name(0, kind, kCleanedFileSuffix), name(0, kind, kSwapFileSuffix));
  rename(name(0, kLogFileSuffix, kCleanedFileSuffix), name(0, kLogFileSuffix, kSwapFileSuffix));
  for (int64_t old : {0, 2}) {
    rename(name(old, kLogFileSuffix), name(old, kLogFileSuffix, kDeletedFileSuffix));
    for (auto kind : indexes) rename(name(old, kind), name(old, kind, kDeletedFileSuffix));
  }
  for (auto kind : indexes) rename(name(0, kind, kSwapFileSuffix), name(0, kind));
  rename(name(0, kLogFileSuffix, kSwapFileSuffix), name(0, kLogFileSuffix));

  log = open(config, {false, 0, 0, -1});
  const auto reopened = records_of(*log);
  const std::vector<StoredRecord> cleaned{{1, "b", "b0"}, {2, "a", "a1"}, {3, "c", "c0"}};
  if (step < 4)  // before the .log.swap: the swap never happened
    EXPECT_EQ(reopened, original) << "step " << step;
  else
    EXPECT_EQ(reopened, cleaned) << "step " << step;
  EXPECT_EQ(log->log_end_offset(), 4);
  for (auto suffix : {".cleaned", ".swap", ".deleted"}) EXPECT_EQ(files_ending_with(suffix), 0u) << suffix;
}

// 4 + 8 + 4 renames: every prefix of them.
INSTANTIATE_TEST_SUITE_P(EveryStep, SwapCrashTest, ::testing::Range(0, 17));

}  // namespace
}  // namespace freshet::storage::cleaner_test
