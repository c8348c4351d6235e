// TransactionIndex (.txnindex): Kafka's 34-byte entries, created on the
// first abort, Kafka's search for a fetch range, truncation and reset.
#include <gtest/gtest.h>

#include "storage/transaction_index.h"
#include "storage_test_batches.h"

namespace freshet::storage {
namespace {

namespace st = freshet::storage::testing;

class TransactionIndexTest : public ::testing::Test {
 protected:
  std::filesystem::path path() const { return tmp_.path() / "00000000000000000000.txnindex"; }
  st::TempDir tmp_;
};

TEST_F(TransactionIndexTest, EntriesHaveKafkasByteLayoutAndTheFileAppearsWithTheFirst) {
  TransactionIndex index(path());
  EXPECT_TRUE(index.entries().empty());
  index.reset();
  index.truncate_to(0);
  EXPECT_FALSE(std::filesystem::exists(path())) << "no abort, no file";

  index.append({0x0102030405060708, 0x1112131415161718, 0x2122232425262728, 0x3132333435363738});
  std::vector<uint8_t> expected{0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
                                0x18, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x31, 0x32, 0x33, 0x34,
                                0x35, 0x36, 0x37, 0x38};
  EXPECT_EQ(st::read_file(path()), expected);
  EXPECT_TRUE(index.handle());
}

TEST_F(TransactionIndexTest, EntriesSurviveReopening) {
  {
    TransactionIndex index(path());
    index.append({7, 0, 10, 11});
    index.append({8, 5, 20, 21});
  }
  TransactionIndex index(path());
  index.append({9, 21, 30, 31});
  EXPECT_EQ(index.entries(), (std::vector<AbortedTxn>{{7, 0, 10, 11}, {8, 5, 20, 21}, {9, 21, 30, 31}}));
  EXPECT_EQ(std::filesystem::file_size(path()), 3 * TransactionIndex::kEntryBytes);
}

TEST_F(TransactionIndexTest, CollectFindsTheOverlappingAbortsAndStopsAtTheLastStableOffset) {
  TransactionIndex index(path());
  index.append({1, 0, 10, 5});    // LSO held back by another open transaction starting at 5
  index.append({2, 5, 20, 12});
  index.append({3, 12, 30, 31});
  index.append({4, 40, 50, 51});

  std::vector<AbortedTxn> out;
  EXPECT_FALSE(index.collect(0, 100, out));
  EXPECT_EQ(out.size(), 4u);

  out.clear();
  EXPECT_TRUE(index.collect(11, 25, out)) << "entry 3's LSO 31 covers the range";
  EXPECT_EQ(out, (std::vector<AbortedTxn>{{2, 5, 20, 12}, {3, 12, 30, 31}}));

  out.clear();
  EXPECT_TRUE(index.collect(31, 40, out)) << "entry 4 starts at the bound and is not included";
  EXPECT_TRUE(out.empty());

  out.clear();
  EXPECT_FALSE(index.collect(51, 60, out));
  EXPECT_TRUE(out.empty());
}

TEST_F(TransactionIndexTest, TruncateAndResetRemoveEntriesOnDisk) {
  TransactionIndex index(path());
  index.append({1, 0, 10, 11});
  index.append({2, 11, 20, 21});
  index.append({3, 21, 30, 31});
  index.truncate_to(20);
  EXPECT_EQ(index.entries(), (std::vector<AbortedTxn>{{1, 0, 10, 11}}));
  EXPECT_EQ(std::filesystem::file_size(path()), TransactionIndex::kEntryBytes);
  index.reset();
  EXPECT_TRUE(index.entries().empty());
  EXPECT_EQ(std::filesystem::file_size(path()), 0u);
  EXPECT_TRUE(TransactionIndex(path()).entries().empty());
}

TEST_F(TransactionIndexTest, ATornLastEntryIsDroppedAndTheWholeOnesKept) {
  { TransactionIndex(path()).append({1, 0, 10, 11}); }
  st::append_to_file(path(), std::vector<uint8_t>{0, 0, 1});
  TransactionIndex index(path());
  EXPECT_EQ(index.entries(), (std::vector<AbortedTxn>{{1, 0, 10, 11}}));
  index.append({2, 11, 20, 21});
  EXPECT_EQ(std::filesystem::file_size(path()), 2 * TransactionIndex::kEntryBytes);
  EXPECT_EQ(TransactionIndex(path()).entries(), (std::vector<AbortedTxn>{{1, 0, 10, 11}, {2, 11, 20, 21}}));
}

TEST_F(TransactionIndexTest, RemoveFileForgetsEverything) {
  TransactionIndex index(path());
  index.append({1, 0, 10, 11});
  index.remove_file();
  EXPECT_FALSE(std::filesystem::exists(path()));
  EXPECT_TRUE(index.entries().empty());
}

}  // namespace
}  // namespace freshet::storage
