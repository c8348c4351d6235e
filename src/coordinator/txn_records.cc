#include "coordinator/txn_records.h"

#include <limits>
#include <vector>

#include "protocol/messages.h"

namespace freshet::coordinator {
namespace {

constexpr int16_t kKeyVersion = 0;
// Version 1 (flexible, as Kafka writes it from transaction.version 1 on)
// carries the tagged PreviousProducerId, NextProducerId and
// ClientTransactionVersion; Kafka 3.x reads it too.
constexpr int16_t kValueVersion = 1;

std::vector<uint8_t> txn_key(const std::string& transactional_id) {
  protocol::TransactionLogKey key;
  key.transactional_id = transactional_id;
  protocol::Writer writer;
  writer.i16(kKeyVersion);
  key.encode(writer, kKeyVersion);
  return writer.take();
}

std::vector<protocol::TransactionLogValue::PartitionsSchema> by_topic(const TopicPartitionSet& partitions) {
  std::vector<protocol::TransactionLogValue::PartitionsSchema> topics;
  for (const auto& [topic, partition] : partitions) {
    if (topics.empty() || topics.back().topic != topic) topics.emplace_back().topic = topic;
    topics.back().partition_ids.push_back(partition);
  }
  return topics;
}

}  // namespace

StoredRecord txn_record(const std::string& transactional_id, const TxnImage& image) {
  protocol::TransactionLogValue value;
  value.producer_id = image.producer_id;
  value.previous_producer_id = image.last_producer_id;
  value.next_producer_id = image.next_producer_id;
  value.client_transaction_version = image.client_transaction_version;
  value.producer_epoch = image.producer_epoch;
  value.transaction_timeout_ms = image.timeout_ms;
  value.transaction_status = static_cast<int8_t>(image.state);
  if (image.state == TxnState::kEmpty) {
    value.transaction_partitions.reset();
  } else {
    value.transaction_partitions = by_topic(image.partitions);
  }
  value.transaction_last_update_timestamp_ms = image.last_update_timestamp_ms;
  value.transaction_start_timestamp_ms = image.start_timestamp_ms;
  protocol::Writer writer;
  writer.i16(kValueVersion);
  value.encode(writer, kValueVersion);
  return StoredRecord{txn_key(transactional_id), writer.take()};
}

StoredRecord txn_tombstone(const std::string& transactional_id) {
  return StoredRecord{txn_key(transactional_id), std::nullopt};
}

std::optional<TxnLogRecord> decode_txn_record(std::span<const uint8_t> key,
                                              std::optional<std::span<const uint8_t>> value) {
  protocol::Reader key_reader(key);
  const int16_t key_version = key_reader.i16();
  if (key_version < protocol::TransactionLogKey::kMinVersion || key_version > protocol::TransactionLogKey::kMaxVersion) {
    return std::nullopt;
  }
  protocol::TransactionLogKey decoded_key;
  decoded_key.decode(key_reader, key_version);
  TxnLogRecord record{std::move(decoded_key.transactional_id), std::nullopt};
  if (!value) return record;

  protocol::Reader value_reader(*value);
  const int16_t value_version = value_reader.i16();
  if (value_version < protocol::TransactionLogValue::kMinVersion ||
      value_version > protocol::TransactionLogValue::kMaxVersion) {
    throw protocol::DecodeError("unknown __transaction_state value version");
  }
  protocol::TransactionLogValue decoded;
  decoded.decode(value_reader, value_version);
  const auto state = txn_state_from_id(decoded.transaction_status);
  if (!state || *state == TxnState::kDead || *state == TxnState::kPrepareEpochFence) {
    throw protocol::DecodeError("transaction state that is never written");
  }
  if (decoded.producer_id < 0 || decoded.producer_epoch < 0) {
    throw protocol::DecodeError("transaction without a producer id and epoch");
  }
  // A transaction under way has a start time, and is never at the last
  // epoch (its fence would overflow it).
  if (*state != TxnState::kEmpty && decoded.transaction_start_timestamp_ms < 0) {
    throw protocol::DecodeError("transaction without a start time");
  }
  if (*state == TxnState::kOngoing && decoded.producer_epoch == std::numeric_limits<int16_t>::max()) {
    throw protocol::DecodeError("ongoing transaction at the last epoch");
  }
  if (decoded.next_producer_id != kNoProducerId && !is_preparing(*state)) {
    throw protocol::DecodeError("a next producer id outside PrepareCommit/PrepareAbort");
  }
  TxnImage image;
  image.producer_id = decoded.producer_id;
  image.last_producer_id = decoded.previous_producer_id;
  image.next_producer_id = decoded.next_producer_id;
  image.client_transaction_version = decoded.client_transaction_version;
  image.producer_epoch = decoded.producer_epoch;
  image.timeout_ms = decoded.transaction_timeout_ms;
  image.state = *state;
  // Kafka ignores the partitions of an Empty transaction.
  if (*state != TxnState::kEmpty && decoded.transaction_partitions) {
    for (const auto& topic : *decoded.transaction_partitions) {
      for (int32_t partition : topic.partition_ids) image.partitions.insert({topic.topic, partition});
    }
  }
  image.last_update_timestamp_ms = decoded.transaction_last_update_timestamp_ms;
  image.start_timestamp_ms = decoded.transaction_start_timestamp_ms;
  record.image = std::move(image);
  return record;
}

}  // namespace freshet::coordinator
