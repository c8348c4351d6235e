// The records the transaction coordinator writes to __transaction_state, in
// Kafka's formats: key = int16 version 0 + TransactionLogKey; value = int16
// version 0 + TransactionLogValue, the version Kafka 3.9 writes (version 1,
// flexible, only once the transaction.version feature is 1 or more; both are
// read). An Empty transaction has a null partition list; a null value is a
// tombstone: the transactional id expired.
#pragma once

#include <optional>
#include <span>
#include <string>

#include "coordinator/stored_record.h"
#include "coordinator/transaction.h"

namespace freshet::coordinator {

StoredRecord txn_record(const std::string& transactional_id, const TxnImage& image);
StoredRecord txn_tombstone(const std::string& transactional_id);

struct TxnLogRecord {
  std::string transactional_id;
  std::optional<TxnImage> image;  // nullopt: tombstone
};

// nullopt for a key version this coordinator does not know (Kafka skips
// those). Throws protocol::DecodeError on malformed bytes, an unknown value
// version, or what Kafka never writes: a state Dead, PrepareEpochFence or
// none, no producer id or epoch, a non-Empty transaction without a start
// time, an Ongoing one at epoch 32767.
std::optional<TxnLogRecord> decode_txn_record(std::span<const uint8_t> key,
                                              std::optional<std::span<const uint8_t>> value);

}  // namespace freshet::coordinator
