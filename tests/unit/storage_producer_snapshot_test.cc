// Producer snapshot files: Kafka's ProducerSnapshot v1 byte layout, CRC
// checks, and listing the snapshots of a partition directory.
#include <gtest/gtest.h>

#include "protocol/crc32c.h"
#include "storage/producer_snapshot.h"
#include "storage_test_batches.h"

namespace freshet::storage {
namespace {

namespace st = freshet::storage::testing;

void put(std::vector<uint8_t>& out, uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

const ProducerSnapshotEntry kEntry{0x0102030405060708, 0x0a0b, 0x11121314, 0x2122232425262728,
                                   0x31323334,         0x4142434445464748, 0x51525354, -1};

TEST(ProducerSnapshot, HasKafkasByteLayout) {
  std::vector<uint8_t> expected;
  put(expected, 1, 2);  // version
  put(expected, 0, 4);  // CRC, below
  put(expected, 1, 4);  // one entry
  put(expected, 0x0102030405060708, 8);
  put(expected, 0x0a0b, 2);
  put(expected, 0x11121314, 4);
  put(expected, 0x2122232425262728, 8);
  put(expected, 0x31323334, 4);
  put(expected, 0x4142434445464748, 8);
  put(expected, 0x51525354, 4);
  put(expected, UINT64_MAX, 8);
  uint32_t crc = protocol::crc32c(std::span<const uint8_t>(expected).subspan(6));
  for (int i = 0; i < 4; ++i) expected[2 + i] = static_cast<uint8_t>(crc >> (24 - 8 * i));

  ProducerSnapshotEntry entries[] = {kEntry};
  EXPECT_EQ(encode_producer_snapshot(entries), expected);
  EXPECT_EQ(expected.size(), 10u + 46u);
  EXPECT_EQ(decode_producer_snapshot(expected), std::vector<ProducerSnapshotEntry>{kEntry});
}

TEST(ProducerSnapshot, AnEmptySnapshotIsTenBytes) {
  auto bytes = encode_producer_snapshot({});
  EXPECT_EQ(bytes.size(), 10u);
  EXPECT_TRUE(decode_producer_snapshot(bytes).empty());
}

TEST(ProducerSnapshot, DamagedBytesAreRejected) {
  ProducerSnapshotEntry entries[] = {kEntry, kEntry};
  const auto good = encode_producer_snapshot(entries);
  for (size_t i = 0; i < good.size(); ++i) {
    auto bad = good;
    bad[i] ^= 0x40;
    EXPECT_THROW(decode_producer_snapshot(bad), CorruptSnapshotError) << "byte " << i;
  }
  for (size_t size = 0; size < good.size(); ++size)
    EXPECT_THROW(decode_producer_snapshot(std::span(good).first(size)), CorruptSnapshotError) << size;
}

TEST(ProducerSnapshot, FilesRoundTripAndAreListedByOffset) {
  st::TempDir tmp;
  ProducerSnapshotEntry entries[] = {kEntry};
  write_producer_snapshot(tmp.path() / "00000000000000000042.snapshot", entries);
  write_producer_snapshot(tmp.path() / "00000000000000000007.snapshot", {});
  st::append_to_file(tmp.path() / "00000000000000000042.log", std::vector<uint8_t>{1});
  st::append_to_file(tmp.path() / "notasnapshot.snapshot", std::vector<uint8_t>{1});
  EXPECT_EQ(list_producer_snapshots(tmp.path()), (std::vector<int64_t>{7, 42}));
  EXPECT_EQ(read_producer_snapshot(tmp.path() / "00000000000000000042.snapshot"),
            std::vector<ProducerSnapshotEntry>{kEntry});
  EXPECT_FALSE(std::filesystem::exists(tmp.path() / "00000000000000000042.snapshot.tmp"));
}

}  // namespace
}  // namespace freshet::storage
