// LogDirectories (several log.dirs: placement, locating partitions at start,
// duplicates, offline dirs, per-dir checkpoints) and meta.properties.
#include <gtest/gtest.h>

#include <fstream>

#include "storage/log_directories.h"
#include "storage/meta_properties.h"
#include "storage/storage_error.h"
#include "storage_test_batches.h"

namespace freshet::storage {
namespace {

namespace fs = std::filesystem;
namespace st = freshet::storage::testing;

// Expects `call` to throw StorageError whose message contains `text`.
template <typename Call>
void expect_storage_error(Call call, const std::string& text) {
  try {
    call();
    ADD_FAILURE() << "no StorageError; expected one containing: " << text;
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
  }
}

void write_text(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

std::vector<fs::path> three_dirs(const st::TempDir& tmp) {
  return {tmp.path() / "a", tmp.path() / "b", tmp.path() / "c"};
}

TEST(NextLogDirTest, FewestPartitionsFirstInOrderOnTies) {
  using Counts = std::vector<std::optional<size_t>>;
  EXPECT_EQ(next_log_dir(Counts{0, 0, 0}), 0u);
  EXPECT_EQ(next_log_dir(Counts{1, 0, 0}), 1u);
  EXPECT_EQ(next_log_dir(Counts{1, 1, 0}), 2u);
  EXPECT_EQ(next_log_dir(Counts{5, 3, 3}), 1u);
  EXPECT_EQ(next_log_dir(Counts{std::nullopt, 4, 2}), 2u);
  EXPECT_EQ(next_log_dir(Counts{0, std::nullopt}), 0u);
  EXPECT_EQ(next_log_dir(Counts{std::nullopt, std::nullopt}), std::nullopt);
  EXPECT_EQ(next_log_dir(Counts{}), std::nullopt);
}

TEST(LogDirectoriesTest, NewPartitionsAreSpreadAcrossDirs) {
  st::TempDir tmp;
  auto paths = three_dirs(tmp);
  auto dirs = LogDirectories::open(paths, "__cluster_metadata");
  ASSERT_EQ(dirs->size(), 3u);
  std::vector<std::unique_ptr<PartitionLog>> logs;
  for (int32_t p = 0; p < 9; ++p) logs.push_back(dirs->open_partition({"t", p}, {}, {1, 2}, true));
  for (int32_t p = 0; p < 9; ++p) {
    size_t expected = static_cast<size_t>(p) % 3;  // one each in turn
    EXPECT_EQ(dirs->index_of({"t", p}), expected) << p;
    EXPECT_TRUE(fs::is_directory(paths[expected] / ("t-" + std::to_string(p)))) << p;
  }
  // Deleting frees a slot in that dir, so the next partition goes there.
  dirs->delete_partition({"t", 4}, std::move(logs[4]));
  EXPECT_FALSE(fs::exists(paths[1] / "t-4"));
  EXPECT_EQ(dirs->index_of({"t", 4}), std::nullopt);
  auto extra = dirs->open_partition({"u", 0}, {}, {3, 4}, true);
  EXPECT_EQ(dirs->index_of({"u", 0}), 1u);
}

TEST(LogDirectoriesTest, ExistingPartitionsAreFoundWhereTheyAreAndCounted) {
  st::TempDir tmp;
  auto paths = three_dirs(tmp);
  {
    auto a = LogDirectory::open(paths[0]);
    for (int32_t p = 0; p < 2; ++p) {
      auto log = a->open_partition({"old", p}, {}, {1, 1});
      auto batch = st::make_batch(3, 10, 0);
      log->append(batch, 0, 0);
      log->close();
    }
    auto c = LogDirectory::open(paths[2]);
    c->open_partition({"old", 2}, {}, {1, 1})->close();
    fs::create_directories(paths[0] / "__cluster_metadata-0");  // foreign: neither listed nor counted
  }
  auto dirs = LogDirectories::open(paths, "__cluster_metadata");
  auto partitions = dirs->partitions();
  EXPECT_EQ(partitions, (std::vector<TopicPartition>{{"old", 0}, {"old", 1}, {"old", 2}}));
  EXPECT_EQ(dirs->index_of({"old", 1}), 0u);
  EXPECT_EQ(dirs->index_of({"old", 2}), 2u);
  auto log = dirs->open_partition({"old", 1}, {}, {1, 1}, false);
  EXPECT_EQ(log->log_end_offset(), 3);
  // a: 2, b: 0, c: 1 -> b, then b or c on a tie of 1 -> b (first), then c.
  auto n0 = dirs->open_partition({"new", 0}, {}, {2, 2}, true);
  auto n1 = dirs->open_partition({"new", 1}, {}, {2, 2}, true);
  auto n2 = dirs->open_partition({"new", 2}, {}, {2, 2}, true);
  EXPECT_EQ(dirs->index_of({"new", 0}), 1u);
  EXPECT_EQ(dirs->index_of({"new", 1}), 1u);
  EXPECT_EQ(dirs->index_of({"new", 2}), 2u);
}

TEST(LogDirectoriesTest, APartitionInTwoDirsRefusesToOpen) {
  st::TempDir tmp;
  auto paths = three_dirs(tmp);
  LogDirectory::open(paths[0])->open_partition({"dup", 3}, {}, {})->close();
  LogDirectory::open(paths[2])->open_partition({"dup", 3}, {}, {})->close();
  expect_storage_error([&] { LogDirectories::open(paths, "__cluster_metadata"); },
                       "Duplicate log directories for dup-3 are found in both");
}

TEST(LogDirectoriesTest, ADirListedTwiceIsRefused) {
  st::TempDir tmp;
  std::vector<fs::path> paths{tmp.path() / "a", tmp.path() / "b", tmp.path() / "x" / ".." / "a"};
  expect_storage_error([&] { LogDirectories::open(paths, ""); }, "Duplicate log directory found");
}

TEST(LogDirectoriesTest, AnUnusableDirIsOfflineAndTheOthersServe) {
  st::TempDir tmp;
  auto paths = three_dirs(tmp);
  write_text(paths[1], "not a directory");
  auto dirs = LogDirectories::open(paths, "");
  EXPECT_NE(dirs->online(0), nullptr);
  EXPECT_EQ(dirs->online(1), nullptr);
  EXPECT_FALSE(dirs->offline_reason(1).empty());
  EXPECT_TRUE(dirs->any_offline());
  EXPECT_EQ(dirs->online_paths(), (std::vector<fs::path>{paths[0], paths[2]}));
  // A partition known before this start may be in the offline dir: not re-created elsewhere.
  expect_storage_error([&] { dirs->open_partition({"t", 0}, {}, {}, false); },
                       "Can not create log for t-0 because log directories");
  for (int32_t p = 0; p < 4; ++p) dirs->open_partition({"t", p}, {}, {}, true)->close();
  EXPECT_EQ(dirs->index_of({"t", 0}), 0u);
  EXPECT_EQ(dirs->index_of({"t", 1}), 2u);
  EXPECT_EQ(dirs->index_of({"t", 2}), 0u);
}

TEST(LogDirectoriesTest, NoUsableDirIsAnError) {
  st::TempDir tmp;
  write_text(tmp.path() / "a", "file");
  write_text(tmp.path() / "b", "file");
  expect_storage_error([&] { LogDirectories::open({tmp.path() / "a", tmp.path() / "b"}, ""); },
                       "None of the specified log dirs");
}

TEST(LogDirectoriesTest, CheckpointsAndMarkersAreKeptPerDir) {
  st::TempDir tmp;
  auto paths = three_dirs(tmp);
  auto dirs = LogDirectories::open(paths, "");
  std::vector<PartitionCheckpoint> checkpoints;
  for (int32_t p = 0; p < 3; ++p) {
    auto log = dirs->open_partition({"t", p}, {}, {}, true);
    auto batch = st::make_batch(p + 1, 10, 0);
    log->append(batch, 0, 0);
    log->close();
    checkpoints.push_back({{"t", p}, log->recovery_point(), log->log_start_offset()});
  }
  dirs->write_checkpoints(checkpoints);
  dirs->mark_clean_shutdown();
  for (int32_t p = 0; p < 3; ++p) {
    EXPECT_EQ(st::read_text(paths[p] / "recovery-point-offset-checkpoint"),
              "0\n1\nt " + std::to_string(p) + " " + std::to_string(p + 1) + "\n");
    EXPECT_TRUE(fs::exists(paths[p] / ".kafka_cleanshutdown"));
  }
  dirs = LogDirectories::open(paths, "");
  for (size_t i = 0; i < 3; ++i) EXPECT_TRUE(dirs->online(i)->had_clean_shutdown());
  EXPECT_EQ(dirs->open_partition({"t", 2}, {}, {}, false)->recovery_point(), 3);
}

TEST(MetaPropertiesTest, ClaimWritesEveryDirWithItsOwnId) {
  st::TempDir tmp;
  auto paths = three_dirs(tmp);
  for (const auto& p : paths) fs::create_directories(p);
  std::string cluster = claim_log_dirs(paths, 7, "", "new-cluster");
  EXPECT_EQ(cluster, "new-cluster");
  std::vector<MetaProperties> metas;
  for (const auto& p : paths) {
    auto meta = read_meta_properties(p);
    ASSERT_TRUE(meta);
    EXPECT_EQ(meta->cluster_id, "new-cluster");
    EXPECT_EQ(meta->node_id, 7);
    EXPECT_FALSE(meta->directory_id.is_zero());
    for (const auto& other : metas) EXPECT_NE(other.directory_id, meta->directory_id);
    metas.push_back(*meta);
  }
  EXPECT_NE(st::read_text(paths[0] / "meta.properties").find("version=1\n"), std::string::npos);
  // A second start keeps everything; a dir added later joins the cluster.
  paths.push_back(tmp.path() / "d");
  fs::create_directories(paths.back());
  EXPECT_EQ(claim_log_dirs(paths, 7, "", "other"), "new-cluster");
  for (size_t i = 0; i < metas.size(); ++i) EXPECT_EQ(read_meta_properties(paths[i]), metas[i]);
  EXPECT_EQ(read_meta_properties(paths[3])->cluster_id, "new-cluster");
}

TEST(MetaPropertiesTest, AFileWithoutDirectoryIdGetsOne) {
  st::TempDir tmp;
  write_text(tmp.path() / "a" / "meta.properties", "#\nversion=1\ncluster.id=abc\nnode.id=1\n");
  std::vector<fs::path> paths{tmp.path() / "a"};
  EXPECT_EQ(claim_log_dirs(paths, 1, "", "zzz"), "abc");
  auto meta = read_meta_properties(paths[0]);
  EXPECT_EQ(meta->cluster_id, "abc");
  EXPECT_FALSE(meta->directory_id.is_zero());
}

TEST(MetaPropertiesTest, AnotherClusterOrNodeIsRefused) {
  st::TempDir tmp;
  auto paths = three_dirs(tmp);
  for (const auto& p : paths) fs::create_directories(p);
  claim_log_dirs(std::span(paths).first(2), 1, "", "mine");
  write_text(paths[2] / "meta.properties", "version=1\ncluster.id=theirs\nnode.id=1\n");
  expect_storage_error([&] { claim_log_dirs(paths, 1, "", "x"); }, "Invalid cluster.id in: ");
  expect_storage_error([&] { claim_log_dirs(std::span(paths).first(2), 1, "configured", "x"); },
                       "Expected configured, but read mine");
  write_text(paths[2] / "meta.properties", "version=1\ncluster.id=mine\nnode.id=2\n");
  expect_storage_error([&] { claim_log_dirs(paths, 1, "", "x"); }, "Stored node id 2 doesn't match previous node id 1");
  write_text(paths[2] / "meta.properties", "version=1\nnode.id=1\n");
  expect_storage_error([&] { claim_log_dirs(paths, 1, "", "x"); }, "cluster.id was not specified");
  // Nothing was written to the good dirs' neighbour on failure.
  EXPECT_EQ(st::read_text(paths[2] / "meta.properties"), "version=1\nnode.id=1\n");
}

TEST(MetaPropertiesTest, ACopiedDirIdIsRefused) {
  st::TempDir tmp;
  std::vector<fs::path> paths{tmp.path() / "a", tmp.path() / "b"};
  fs::create_directories(paths[0]);
  claim_log_dirs(std::span(paths).first(1), 1, "", "c");
  fs::create_directories(paths[1]);
  fs::copy_file(paths[0] / "meta.properties", paths[1] / "meta.properties");
  expect_storage_error([&] { claim_log_dirs(paths, 1, "", "x"); }, "Duplicate directory ID");
}

}  // namespace
}  // namespace freshet::storage
