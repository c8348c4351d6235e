// __consumer_offsets records as the group coordinator loads them: each
// key/value of the input (a record stream, record_stream.h) is decoded with
// coordinator::decode_record and replayed, in order, into a GroupCoordinator
// taking over partition 0; the loaded groups are then listed, described,
// their offsets fetched, and time advanced past every session and retention
// deadline. A decoded offset commit must re-encode (offset_record) to a
// record that decodes to the same commit.
#include <spdlog/spdlog.h>

#include "coordinator/group_coordinator.h"
#include "coordinator/group_records.h"
#include "fuzz_target.h"
#include "record_stream.h"

namespace {

using namespace freshet;

constexpr int32_t kPartition = 0;
constexpr int64_t kNowMs = 1'700'000'000'000;

// Completes every append at the next flush, successfully.
class ImmediateStore : public coordinator::GroupStore {
 public:
  void append(int32_t, std::vector<coordinator::StoredRecord>, std::optional<coordinator::TransactionalProducer>,
              std::function<void(protocol::ErrorCode)> done) override {
    pending_.push_back(std::move(done));
  }
  void flush() {
    while (!pending_.empty()) {
      auto done = std::move(pending_.front());
      pending_.erase(pending_.begin());
      done(protocol::ErrorCode::None);
    }
  }

 private:
  std::vector<std::function<void(protocol::ErrorCode)>> pending_;
};

void check_offset_round_trip(const coordinator::OffsetRecord& record) {
  if (!record.value) return;
  coordinator::OffsetChange change{record.topic, record.partition, record.value};
  const coordinator::StoredRecord stored = coordinator::offset_record(record.group, change);
  std::optional<std::span<const uint8_t>> value;
  if (stored.value) value = std::span<const uint8_t>(*stored.value);
  const auto again = std::get<coordinator::OffsetRecord>(coordinator::decode_record(stored.key, value));
  FUZZ_CHECK(again.group == record.group && again.topic == record.topic && again.partition == record.partition);
  FUZZ_CHECK(again.value && again.value->offset == record.value->offset &&
             again.value->metadata == record.value->metadata &&
             again.value->commit_timestamp_ms == record.value->commit_timestamp_ms &&
             again.value->expire_timestamp_ms == record.value->expire_timestamp_ms);
}

void exercise_loaded_groups(coordinator::GroupCoordinator& groups, ImmediateStore& store) {
  coordinator::CallContext ctx;
  ctx.api_version = 5;
  ctx.now_ms = kNowMs;
  for (const auto& listed : groups.list_groups({})) {
    groups.describe_group(ctx, kPartition, listed.group_id);
    protocol::OffsetFetchRequest::OffsetFetchRequestGroup fetch;
    fetch.group_id = listed.group_id;
    fetch.topics = std::nullopt;
    groups.fetch_offsets(ctx, kPartition, fetch, false);
  }
  // Sessions expire, rebalances and offset retention run: eight days in 64 steps.
  constexpr int64_t kStepMs = 8LL * 24 * 3600 * 1000 / 64;
  for (int step = 1; step <= 64; ++step) {
    groups.advance(kNowMs + step * kStepMs);
    store.flush();
  }
  groups.list_groups({});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = [] {
    spdlog::set_level(spdlog::level::off);  // the coordinator logs every rebalance
    return true;
  }();
  (void)quiet;
  ImmediateStore store;
  coordinator::GroupCoordinator groups(coordinator::GroupConfig{}, store);
  groups.begin_loading(kPartition);
  int64_t timestamp_ms = kNowMs - 1000;
  for (const fuzz::StreamRecord& record : fuzz::split_record_stream(std::span<const uint8_t>(data, size))) {
    try {
      const coordinator::CoordinatorRecord decoded = coordinator::decode_record(record.key, record.value);
      if (const auto* offset = std::get_if<coordinator::OffsetRecord>(&decoded)) check_offset_round_trip(*offset);
    } catch (const protocol::DecodeError&) {
    }
    groups.replay(kPartition, record.key, record.value, ++timestamp_ms);
  }
  groups.finish_loading(kPartition, kNowMs);
  store.flush();
  exercise_loaded_groups(groups, store);
  groups.unload(kPartition);
  store.flush();
  return 0;
}

namespace freshet::fuzz {
namespace {

template <typename Message>
Input versioned(const Message& message, int16_t version) {
  protocol::Writer w;
  w.i16(version);
  message.encode(w, version);
  return w.take();
}

}  // namespace

void fuzz_seeds(std::vector<Input>& out) {
  Input all;
  // Offset commits at every value version, with and without expiry, and a tombstone.
  for (int16_t version = protocol::OffsetCommitValue::kMinVersion; version <= protocol::OffsetCommitValue::kMaxVersion;
       ++version) {
    protocol::OffsetCommitKey key;
    key.group = "g";
    key.topic = "t";
    key.partition = version;
    protocol::OffsetCommitValue value;
    value.offset = 100 + version;
    value.leader_epoch = 3;
    value.metadata = "meta";
    value.commit_timestamp = kNowMs - 5000;
    value.expire_timestamp = version == 1 ? kNowMs + 60'000 : -1;
    Input one;
    append_stream_record(one, versioned(key, 1), versioned(value, version));
    out.push_back(one);
    append_bytes(all, one);
  }
  // The coordinator's own encodings.
  coordinator::CommittedOffset committed{42, 1, "m", kNowMs - 10, std::nullopt};
  const auto stored = coordinator::offset_record("simple", {"t", 0, committed});
  append_stream_record(all, stored.key, *stored.value);
  const auto tombstone = coordinator::offset_record("simple", {"t", 1, std::nullopt});
  append_stream_record(all, tombstone.key, std::nullopt);
  // Group metadata at every version: a stable group with two members, and an empty one.
  for (int16_t version = protocol::GroupMetadataValue::kMinVersion;
       version <= protocol::GroupMetadataValue::kMaxVersion; ++version) {
    protocol::GroupMetadataKey key;
    key.group = "g";
    protocol::GroupMetadataValue value;
    value.protocol_type = "consumer";
    value.generation = 3;
    value.protocol = "range";
    value.leader = "m1";
    value.current_state_timestamp = kNowMs - 1000;
    for (const char* id : {"m1", "m2"}) {
      protocol::GroupMetadataValue::MemberMetadata member;
      member.member_id = id;
      if (version >= 3 && id[1] == '2') member.group_instance_id = "static";
      member.client_id = "client";
      member.client_host = "/127.0.0.1";
      member.rebalance_timeout = 30000;
      member.session_timeout = 10000;
      member.subscription = {0, 1, 0, 0, 0, 1, 0, 1, 't'};
      member.assignment = {0, 1, 0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 1, 0, 0, 0, 0};
      value.members.push_back(member);
    }
    Input one;
    append_stream_record(one, versioned(key, 2), versioned(value, version));
    out.push_back(one);
    append_bytes(all, one);
  }
  protocol::GroupMetadataKey empty_key;
  empty_key.group = "empty";
  protocol::GroupMetadataValue empty_value;
  append_stream_record(all, versioned(empty_key, 2), versioned(empty_value, 3));
  append_stream_record(all, versioned(empty_key, 2), std::nullopt);
  out.push_back(all);
}

}  // namespace freshet::fuzz
