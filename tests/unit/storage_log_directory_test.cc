// LogDirectory: partition directory names, the clean-shutdown marker, the
// recovery-point / log-start-offset checkpoints and topic deletion.
#include <gtest/gtest.h>

#include <fstream>

#include "storage/log_directory.h"
#include "storage/storage_error.h"
#include "storage_test_batches.h"

namespace freshet::storage {
namespace {

namespace st = freshet::storage::testing;

TEST(TopicPartitionTest, DirectoryNamesSplitAtTheLastDash) {
  EXPECT_EQ(TopicPartition::from_dir_name("my-topic-12"), (TopicPartition{"my-topic", 12}));
  EXPECT_EQ(TopicPartition::from_dir_name("a.b_c-d-0"), (TopicPartition{"a.b_c-d", 0}));
  EXPECT_EQ(TopicPartition::from_dir_name("__consumer_offsets-49"), (TopicPartition{"__consumer_offsets", 49}));
  EXPECT_EQ(TopicPartition::from_dir_name("t--1"), (TopicPartition{"t-", 1}));
  EXPECT_EQ((TopicPartition{"my-topic", 12}).dir_name(), "my-topic-12");
  for (const char* name : {"topic", "topic-", "-1", "t-x", "t-+1", "t-0.0123456789abcdef0123456789abcdef-delete",
                           "t-0.0123456789abcdef-future", "lost+found", "t p-0"})
    EXPECT_FALSE(TopicPartition::from_dir_name(name)) << name;
}

void append(PartitionLog& log, int batches) {
  for (int i = 0; i < batches; ++i) {
    auto batch = st::make_batch(2, 10, 0);
    log.append(batch, 0, 0);
  }
}

TEST(LogDirectoryTest, CleanShutdownRoundTrip) {
  st::TempDir tmp;
  auto root = tmp.path() / "data";
  auto log_dir = LogDirectory::open(root);
  EXPECT_FALSE(log_dir->had_clean_shutdown());
  TopicPartition a{"orders", 0}, b{"my-events", 3};
  auto log_a = log_dir->open_partition(a, {}, protocol::Uuid{1, 2});
  auto log_b = log_dir->open_partition(b, {}, protocol::Uuid{3, 4});
  append(*log_a, 3);
  append(*log_b, 1);
  log_a->close();
  log_b->close();
  std::vector<PartitionCheckpoint> checkpoints{{a, log_a->recovery_point(), log_a->log_start_offset()},
                                               {b, log_b->recovery_point(), log_b->log_start_offset()}};
  log_dir->write_checkpoints(checkpoints);
  log_dir->mark_clean_shutdown();
  EXPECT_TRUE(std::filesystem::exists(root / ".kafka_cleanshutdown"));
  EXPECT_EQ(st::read_text(root / "recovery-point-offset-checkpoint"), "0\n2\nmy-events 3 2\norders 0 6\n");
  EXPECT_EQ(st::read_text(root / "log-start-offset-checkpoint"), "0\n2\nmy-events 3 0\norders 0 0\n");

  log_dir = LogDirectory::open(root);
  EXPECT_TRUE(log_dir->had_clean_shutdown());
  EXPECT_FALSE(std::filesystem::exists(root / ".kafka_cleanshutdown"));  // a crash from now on is unclean
  auto partitions = log_dir->partitions();
  std::sort(partitions.begin(), partitions.end());
  EXPECT_EQ(partitions, (std::vector<TopicPartition>{b, a}));
  log_a = log_dir->open_partition(a, {}, protocol::Uuid{1, 2});
  EXPECT_EQ(log_a->log_end_offset(), 6);
  EXPECT_EQ(log_a->recovery_point(), 6);
}

TEST(LogDirectoryTest, WithoutTheMarkerPartitionsAreRecovered) {
  st::TempDir tmp;
  auto root = tmp.path() / "data";
  TopicPartition tp{"t", 0};
  {
    auto log_dir = LogDirectory::open(root);
    auto log = log_dir->open_partition(tp, {}, {});
    append(*log, 4);
  }  // crash: no close, no checkpoints, no marker
  std::vector<uint8_t> garbage(30, 0xEE);
  st::append_to_file(root / "t-0" / "00000000000000000000.log", garbage);
  auto log_dir = LogDirectory::open(root);
  EXPECT_FALSE(log_dir->had_clean_shutdown());
  auto log = log_dir->open_partition(tp, {}, {});
  EXPECT_EQ(log->log_end_offset(), 8);
  EXPECT_EQ(log->recovery_point(), 0);
}

TEST(LogDirectoryTest, DeletionRemovesTheDirectoryAndItsCheckpoints) {
  st::TempDir tmp;
  auto root = tmp.path() / "data";
  auto log_dir = LogDirectory::open(root);
  TopicPartition tp{"doomed-topic", 1};
  auto log = log_dir->open_partition(tp, {}, {});
  append(*log, 2);
  std::vector<PartitionCheckpoint> checkpoints{{tp, 4, 0}};
  log_dir->write_checkpoints(checkpoints);
  log_dir->delete_partition(tp, std::move(log));
  EXPECT_FALSE(std::filesystem::exists(root / "doomed-topic-1"));
  EXPECT_TRUE(log_dir->partitions().empty());
  EXPECT_EQ(st::read_text(root / "recovery-point-offset-checkpoint"), "0\n0\n");

  // A deletion a crash interrupted is finished at the next open.
  std::filesystem::create_directories(root / "old-0.0123456789abcdef0123456789abcdef-delete");
  std::ofstream(root / "old-0.0123456789abcdef0123456789abcdef-delete" / "00000000000000000000.log") << "x";
  log_dir = LogDirectory::open(root);
  EXPECT_FALSE(std::filesystem::exists(root / "old-0.0123456789abcdef0123456789abcdef-delete"));
}

TEST(LogDirectoryTest, APartitionOpenedTwiceIsRecoveredTheSecondTime) {
  st::TempDir tmp;
  auto root = tmp.path() / "data";
  TopicPartition tp{"t", 0};
  {
    auto log_dir = LogDirectory::open(root);
    auto log = log_dir->open_partition(tp, {}, {});
    append(*log, 2);
    log->close();
    std::vector<PartitionCheckpoint> checkpoints{{tp, log->recovery_point(), 0}};
    log_dir->write_checkpoints(checkpoints);
    log_dir->mark_clean_shutdown();
  }
  auto log_dir = LogDirectory::open(root);
  auto log = log_dir->open_partition(tp, {}, {});
  EXPECT_EQ(log->recovery_point(), 4);
  append(*log, 2);
  log.reset();  // dropped without close
  std::vector<uint8_t> garbage(30, 0xEE);
  st::append_to_file(root / "t-0" / "00000000000000000000.log", garbage);
  log = log_dir->open_partition(tp, {}, {});
  EXPECT_EQ(log->log_end_offset(), 8);  // the garbage was cut: recovered, not trusted
}

TEST(LogDirectoryTest, MalformedCheckpointIsAnError) {
  st::TempDir tmp;
  auto root = tmp.path() / "data";
  std::filesystem::create_directories(root);
  std::ofstream(root / "recovery-point-offset-checkpoint") << "0\n1\norders zero 5\n";
  EXPECT_THROW(LogDirectory::open(root), StorageError);
}

}  // namespace
}  // namespace freshet::storage
