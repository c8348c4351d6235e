#include "coordinator/group_records.h"

namespace freshet::coordinator {
namespace {

constexpr int16_t kOffsetCommitKeyVersion = 1;
constexpr int16_t kGroupMetadataKeyVersion = 2;
constexpr int16_t kOffsetCommitValueVersion = 3;
constexpr int16_t kOffsetCommitValueWithExpiryVersion = 1;
constexpr int16_t kGroupMetadataValueVersion = 3;

template <typename Message>
std::vector<uint8_t> versioned(const Message& message, int16_t version) {
  protocol::Writer writer;
  writer.i16(version);
  message.encode(writer, version);
  return writer.take();
}

std::vector<uint8_t> offset_key(const std::string& group, const std::string& topic, int32_t partition) {
  protocol::OffsetCommitKey key;
  key.group = group;
  key.topic = topic;
  key.partition = partition;
  return versioned(key, kOffsetCommitKeyVersion);
}

std::vector<uint8_t> group_key(const std::string& group) {
  protocol::GroupMetadataKey key;
  key.group = group;
  return versioned(key, kGroupMetadataKeyVersion);
}

template <typename Message>
Message decode_versioned(protocol::Reader& reader, int16_t version) {
  if (version < Message::kMinVersion || version > Message::kMaxVersion) {
    throw protocol::DecodeError("unsupported record version");
  }
  Message message;
  message.decode(reader, version);
  return message;
}

}  // namespace

StoredRecord offset_record(const std::string& group, const OffsetChange& change) {
  auto key = offset_key(group, change.topic, change.partition);
  if (!change.value) return StoredRecord{std::move(key), std::nullopt};
  const CommittedOffset& offset = *change.value;
  protocol::OffsetCommitValue value;
  value.offset = offset.offset;
  value.leader_epoch = offset.leader_epoch;
  value.metadata = offset.metadata;
  value.commit_timestamp = offset.commit_timestamp_ms;
  value.expire_timestamp = offset.expire_timestamp_ms.value_or(-1);
  const int16_t version = offset.expire_timestamp_ms ? kOffsetCommitValueWithExpiryVersion : kOffsetCommitValueVersion;
  return StoredRecord{std::move(key), versioned(value, version)};
}

StoredRecord group_metadata_record(const Group& group,
                                   const std::map<std::string, std::vector<uint8_t>>& assignments) {
  protocol::GroupMetadataValue value;
  value.protocol_type = group.protocol_type().value_or("");
  value.generation = group.generation_id();
  value.protocol = group.protocol_name();
  value.leader = group.leader_id();
  value.current_state_timestamp = group.current_state_timestamp_ms().value_or(-1);
  for (const auto& [id, member] : group.members()) {
    auto& out = value.members.emplace_back();
    out.member_id = id;
    out.group_instance_id = member.group_instance_id;
    out.client_id = member.client_id;
    out.client_host = member.client_host;
    out.rebalance_timeout = member.rebalance_timeout_ms;
    out.session_timeout = member.session_timeout_ms;
    if (const auto* subscription = group.protocol_name() ? member.metadata(*group.protocol_name()) : nullptr) {
      out.subscription = *subscription;
    }
    if (auto it = assignments.find(id); it != assignments.end()) out.assignment = it->second;
  }
  return StoredRecord{group_key(group.group_id()), versioned(value, kGroupMetadataValueVersion)};
}

StoredRecord group_tombstone(const std::string& group) { return StoredRecord{group_key(group), std::nullopt}; }

CoordinatorRecord decode_record(std::span<const uint8_t> key, std::optional<std::span<const uint8_t>> value) {
  protocol::Reader key_reader(key);
  const int16_t key_version = key_reader.i16();
  std::optional<protocol::Reader> value_reader;
  int16_t value_version = 0;
  if (value) {
    value_reader.emplace(*value);
    value_version = value_reader->i16();
  }
  if (key_version == 0 || key_version == 1) {
    auto k = decode_versioned<protocol::OffsetCommitKey>(key_reader, key_version);
    OffsetRecord record{std::move(k.group), std::move(k.topic), k.partition, std::nullopt};
    if (value_reader) {
      auto v = decode_versioned<protocol::OffsetCommitValue>(*value_reader, value_version);
      record.value = CommittedOffset{v.offset, v.leader_epoch, std::move(v.metadata), v.commit_timestamp,
                                     v.expire_timestamp == -1 ? std::nullopt : std::optional(v.expire_timestamp)};
    }
    return record;
  }
  if (key_version == 2) {
    auto k = decode_versioned<protocol::GroupMetadataKey>(key_reader, key_version);
    GroupRecord record{std::move(k.group), std::nullopt};
    if (value_reader) record.value = decode_versioned<protocol::GroupMetadataValue>(*value_reader, value_version);
    return record;
  }
  return std::monostate{};
}

}  // namespace freshet::coordinator
