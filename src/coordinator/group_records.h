// The records the group coordinator writes to __consumer_offsets, in Kafka's
// formats: key = int16 version + OffsetCommitKey (v1) or GroupMetadataKey
// (v2); value = int16 version + OffsetCommitValue (v3, or v1 when the commit
// carries an expire timestamp) or GroupMetadataValue (v3), the versions
// Kafka 3.9 writes; a null value is a tombstone.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "coordinator/group.h"
#include "coordinator/group_store.h"
#include "coordinator/offset_table.h"
#include "protocol/messages.h"

namespace freshet::coordinator {

// A commit, or a tombstone when change.value is nullopt.
StoredRecord offset_record(const std::string& group, const OffsetChange& change);
// The group's generation, protocol, leader and members, each member with its
// subscription for the group's protocol and its entry in `assignments`
// (empty if missing).
StoredRecord group_metadata_record(const Group& group,
                                   const std::map<std::string, std::vector<uint8_t>>& assignments);
StoredRecord group_tombstone(const std::string& group);

// One decoded __consumer_offsets record.
struct OffsetRecord {
  std::string group;
  std::string topic;
  int32_t partition = 0;
  std::optional<CommittedOffset> value;  // nullopt: tombstone
};
struct GroupRecord {
  std::string group;
  std::optional<protocol::GroupMetadataValue> value;  // nullopt: tombstone
};
// std::monostate: a record type of another coordinator (e.g. KIP-848 groups).
using CoordinatorRecord = std::variant<std::monostate, OffsetRecord, GroupRecord>;

// Throws protocol::DecodeError on malformed bytes.
CoordinatorRecord decode_record(std::span<const uint8_t> key, std::optional<std::span<const uint8_t>> value);

}  // namespace freshet::coordinator
