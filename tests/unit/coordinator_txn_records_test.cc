// __transaction_state records in Kafka's byte layout, and the partition a
// transactional id lives on.
#include <gtest/gtest.h>

#include <vector>

#include "coordinator/transaction_coordinator.h"
#include "coordinator/txn_records.h"
#include "protocol/wire.h"

namespace freshet::coordinator {
namespace {

using Bytes = std::vector<uint8_t>;

void put(Bytes& out, uint64_t value, int width) {
  for (int shift = (width - 1) * 8; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(value >> shift));
}
void put_string(Bytes& out, const std::string& text) {
  put(out, text.size(), 2);
  out.insert(out.end(), text.begin(), text.end());
}

TxnImage ongoing_image() {
  TxnImage image;
  image.producer_id = 1000;
  image.producer_epoch = 2;
  image.timeout_ms = 60000;
  image.state = TxnState::kOngoing;
  image.partitions = {{"a", 0}, {"a", 2}, {"b", 1}};
  image.start_timestamp_ms = 1'000'000;
  image.last_update_timestamp_ms = 1'234'567;
  return image;
}

// Kafka's value version 0 of `image`'s fields (as Kafka 3.x writes it), by hand.
Bytes kafka_value_v0(const TxnImage& image, bool null_partitions) {
  Bytes out;
  put(out, 0, 2);  // version
  put(out, image.producer_id, 8);
  put(out, image.producer_epoch, 2);
  put(out, image.timeout_ms, 4);
  put(out, static_cast<uint8_t>(image.state), 1);
  if (null_partitions) {
    put(out, 0xFFFFFFFF, 4);
  } else {
    put(out, 2, 4);
    put_string(out, "a");
    put(out, 2, 4);
    put(out, 0, 4);
    put(out, 2, 4);
    put_string(out, "b");
    put(out, 1, 4);
    put(out, 1, 4);
  }
  put(out, image.last_update_timestamp_ms, 8);
  put(out, image.start_timestamp_ms, 8);
  return out;
}

// Kafka's flexible value version 1 of `image` (as Kafka 4.x writes it), by
// hand: compact fields, then the tagged PreviousProducerId (tag 0),
// NextProducerId (tag 1) and ClientTransactionVersion (tag 2) that are not
// at their defaults.
Bytes kafka_value_v1(const TxnImage& image, bool null_partitions) {
  Bytes out;
  put(out, 1, 2);
  put(out, image.producer_id, 8);
  put(out, image.producer_epoch, 2);
  put(out, image.timeout_ms, 4);
  put(out, static_cast<uint8_t>(image.state), 1);
  if (null_partitions) {
    out.push_back(0);
  } else {
    out.push_back(3);  // two topics
    out.push_back(2);
    out.push_back('a');
    out.push_back(3);
    put(out, 0, 4);
    put(out, 2, 4);
    out.push_back(0);  // no tagged fields
    out.push_back(2);
    out.push_back('b');
    out.push_back(2);
    put(out, 1, 4);
    out.push_back(0);
  }
  put(out, image.last_update_timestamp_ms, 8);
  put(out, image.start_timestamp_ms, 8);
  Bytes tags;
  int count = 0;
  if (image.last_producer_id != kNoProducerId) {
    tags.insert(tags.end(), {0, 8});
    put(tags, image.last_producer_id, 8);
    ++count;
  }
  if (image.next_producer_id != kNoProducerId) {
    tags.insert(tags.end(), {1, 8});
    put(tags, image.next_producer_id, 8);
    ++count;
  }
  if (image.client_transaction_version != 0) {
    tags.insert(tags.end(), {2, 2});
    put(tags, image.client_transaction_version, 2);
    ++count;
  }
  out.push_back(static_cast<uint8_t>(count));
  out.insert(out.end(), tags.begin(), tags.end());
  return out;
}

TEST(TxnRecords, KeyIsKafkasVersionZeroValueItsFlexibleVersionOne) {
  const StoredRecord record = txn_record("txn-1", ongoing_image());
  Bytes key;
  put(key, 0, 2);
  put_string(key, "txn-1");
  EXPECT_EQ(record.key, key);
  ASSERT_TRUE(record.value);
  EXPECT_EQ(*record.value, kafka_value_v1(ongoing_image(), false));

  TxnImage version2 = ongoing_image();
  version2.state = TxnState::kPrepareCommit;
  version2.last_producer_id = 999;
  version2.next_producer_id = 1001;
  version2.client_transaction_version = kTransactionVersion2;
  EXPECT_EQ(*txn_record("txn-1", version2).value, kafka_value_v1(version2, false));
}

TEST(TxnRecords, EmptyTransactionHasNullPartitions) {
  TxnImage image = ongoing_image();
  image.state = TxnState::kEmpty;
  image.partitions.clear();
  image.start_timestamp_ms = -1;
  const StoredRecord record = txn_record("txn-1", image);
  ASSERT_TRUE(record.value);
  EXPECT_EQ(*record.value, kafka_value_v1(image, true));
}

TEST(TxnRecords, RoundTripKeepsWhatTheRecordCarries) {
  TxnImage image = ongoing_image();
  image.last_producer_id = 999;
  image.client_transaction_version = kTransactionVersion2;
  image.last_producer_epoch = 1;  // memory only
  const StoredRecord record = txn_record("txn-1", image);
  auto decoded = decode_txn_record(record.key, std::span<const uint8_t>(*record.value));
  ASSERT_TRUE(decoded && decoded->image);
  EXPECT_EQ(decoded->transactional_id, "txn-1");
  image.last_producer_epoch = kNoProducerEpoch;
  EXPECT_EQ(*decoded->image, image);
}

TEST(TxnRecords, TombstoneDecodesWithoutImage) {
  const StoredRecord record = txn_tombstone("gone");
  EXPECT_FALSE(record.value);
  auto decoded = decode_txn_record(record.key, std::nullopt);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->transactional_id, "gone");
  EXPECT_FALSE(decoded->image);
}

TEST(TxnRecords, ReadsKafkasVersionZeroAndVersionOneWithTaggedFields) {
  const TxnImage image = ongoing_image();
  const StoredRecord record = txn_record("txn-1", image);
  auto v0 = decode_txn_record(record.key, std::span<const uint8_t>(kafka_value_v0(image, false)));
  ASSERT_TRUE(v0 && v0->image);
  EXPECT_EQ(*v0->image, image);

  TxnImage tagged = image;
  tagged.last_producer_id = 999;
  tagged.client_transaction_version = kTransactionVersion2;
  const Bytes value = kafka_value_v1(tagged, false);
  auto v1 = decode_txn_record(record.key, std::span<const uint8_t>(value));
  ASSERT_TRUE(v1 && v1->image);
  EXPECT_EQ(*v1->image, tagged);
}

TEST(TxnRecords, UnknownKeyVersionIsSkippedBadValuesThrow) {
  Bytes key;
  put(key, 1, 2);
  put_string(key, "x");
  EXPECT_FALSE(decode_txn_record(key, std::nullopt));

  const StoredRecord record = txn_record("txn-1", ongoing_image());
  Bytes value = *record.value;
  value[1] = 9;  // value version 9
  EXPECT_THROW(decode_txn_record(record.key, std::span<const uint8_t>(value)), protocol::DecodeError);
  value = *record.value;
  value.resize(value.size() - 3);  // truncated
  EXPECT_THROW(decode_txn_record(record.key, std::span<const uint8_t>(value)), protocol::DecodeError);
  for (uint8_t status : {6, 7, 8}) {  // Dead, PrepareEpochFence, no state: never written
    value = *record.value;
    value[2 + 8 + 2 + 4] = status;
    EXPECT_THROW(decode_txn_record(record.key, std::span<const uint8_t>(value)), protocol::DecodeError);
  }
  TxnImage image = ongoing_image();
  image.producer_epoch = -1;  // Kafka writes no transaction without an epoch
  StoredRecord bad = txn_record("txn-1", image);
  EXPECT_THROW(decode_txn_record(bad.key, std::span<const uint8_t>(*bad.value)), protocol::DecodeError);
  image.producer_epoch = 32767;  // nor an ongoing one it could not fence
  bad = txn_record("txn-1", image);
  EXPECT_THROW(decode_txn_record(bad.key, std::span<const uint8_t>(*bad.value)), protocol::DecodeError);
  image.state = TxnState::kPrepareAbort;  // a fence at 32766 ends there
  bad = txn_record("txn-1", image);
  EXPECT_TRUE(decode_txn_record(bad.key, std::span<const uint8_t>(*bad.value)));
  image.start_timestamp_ms = -1;  // but not without having started
  bad = txn_record("txn-1", image);
  EXPECT_THROW(decode_txn_record(bad.key, std::span<const uint8_t>(*bad.value)), protocol::DecodeError);
}

TEST(TxnRecords, EmptyStateIgnoresStoredPartitions) {
  TxnImage image = ongoing_image();
  Bytes value = kafka_value_v0(image, false);
  value[2 + 8 + 2 + 4] = 0;  // Empty, with partitions Kafka would ignore
  const StoredRecord record = txn_record("txn-1", image);
  auto decoded = decode_txn_record(record.key, std::span<const uint8_t>(value));
  ASSERT_TRUE(decoded && decoded->image);
  EXPECT_EQ(decoded->image->state, TxnState::kEmpty);
  EXPECT_TRUE(decoded->image->partitions.empty());
}

TEST(TxnRecords, TransactionPartitionIsKafkasHash) {
  EXPECT_EQ(transaction_partition("hello", 50), 22);               // hashCode 99162322
  EXPECT_EQ(transaction_partition("my-transactional-id", 50), 46);  // hashCode -959806496
  EXPECT_EQ(transaction_partition("polygenelubricants", 50), 0);   // hashCode Integer.MIN_VALUE
}

}  // namespace
}  // namespace freshet::coordinator
