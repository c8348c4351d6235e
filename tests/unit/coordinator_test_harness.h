// Drives a GroupCoordinator in unit tests: simulated time, an in-memory
// GroupStore whose appends complete when the test says so, and helpers that
// build requests and capture the answers that arrive through callbacks.
#pragma once

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "coordinator/group_coordinator.h"
#include "coordinator_test_support.h"
#include "protocol/errors.h"
#include "protocol/messages.h"

namespace freshet::coordinator::testing {

using protocol::ErrorCode;
using protocol::code;

struct GroupAppend {
  int32_t partition = 0;
  std::vector<StoredRecord> records;
  std::optional<TransactionalProducer> producer;
  std::function<void(ErrorCode)> done;
};

// The group coordinator's store: appends wait until the test completes them.
class MemoryStore : public GroupStore, public PendingAppends<GroupAppend> {
 public:
  void append(int32_t partition, std::vector<StoredRecord> records, std::optional<TransactionalProducer> producer,
              std::function<void(ErrorCode)> done) override {
    pending.push_back(GroupAppend{partition, std::move(records), producer, std::move(done)});
  }
};

// An answer that arrives later through a callback.
template <typename T>
class Answer {
 public:
  std::function<void(T)> callback() {
    auto slot = slot_;
    return [slot](T value) {
      EXPECT_FALSE(slot->has_value()) << "answered twice";
      *slot = std::move(value);
    };
  }
  bool ready() const { return slot_->has_value(); }
  const T& operator*() const {
    EXPECT_TRUE(ready());
    return **slot_;
  }
  const T* operator->() const { return &**this; }

 private:
  std::shared_ptr<std::optional<T>> slot_ = std::make_shared<std::optional<T>>();
};

// The consumer protocol's subscription bytes (version + ConsumerProtocolSubscription).
inline std::vector<uint8_t> subscription(const std::vector<std::string>& topics, int16_t version = 1) {
  protocol::ConsumerProtocolSubscription s;
  s.topics = topics;
  protocol::Writer w;
  w.i16(version);
  s.encode(w, version);
  return w.take();
}

class CoordinatorTest : public ::testing::Test {
 protected:
  static constexpr int32_t kPartition = 7;
  static constexpr int32_t kSessionMs = 10000;
  static constexpr int32_t kRebalanceMs = 30000;

  CoordinatorTest() {
    config.initial_rebalance_delay_ms = 0;
    spdlog::set_level(spdlog::level::warn);  // rebalances log at info
  }

  // Creates the coordinator and loads kPartition (empty).
  void start() {
    coordinator = std::make_unique<GroupCoordinator>(config, store);
    coordinator->begin_loading(kPartition);
    coordinator->finish_loading(kPartition, now);
  }

  CallContext ctx(int16_t version, std::string client_id = "client") const {
    return CallContext{version, std::move(client_id), "/127.0.0.1", now};
  }

  // Moves time forward, firing every deadline on the way at its own time.
  void run_for(int64_t ms) { run_deadlines(*coordinator, now, ms); }

  protocol::JoinGroupRequest join_request(const std::string& member_id,
                                          std::optional<std::string> instance_id = std::nullopt,
                                          std::vector<std::string> topics = {"t"}, std::string group = "g") const {
    protocol::JoinGroupRequest r;
    r.group_id = std::move(group);
    r.session_timeout_ms = kSessionMs;
    r.rebalance_timeout_ms = kRebalanceMs;
    r.member_id = member_id;
    r.group_instance_id = std::move(instance_id);
    r.protocol_type = "consumer";
    r.protocols.push_back({"range", subscription(topics)});
    r.reason = std::nullopt;
    return r;
  }

  Answer<protocol::JoinGroupResponse> join(const protocol::JoinGroupRequest& request, int16_t version = 7,
                                          const std::string& client_id = "client") {
    Answer<protocol::JoinGroupResponse> answer;
    coordinator->join_group(ctx(version, client_id), kPartition, request, answer.callback());
    return answer;
  }

  Answer<protocol::SyncGroupResponse> sync(const std::string& member_id, int32_t generation,
                                          std::vector<std::pair<std::string, std::vector<uint8_t>>> assignments = {},
                                          std::optional<std::string> instance_id = std::nullopt,
                                          int16_t version = 5, const std::string& group = "g") {
    protocol::SyncGroupRequest r;
    r.group_id = group;
    r.generation_id = generation;
    r.member_id = member_id;
    r.group_instance_id = std::move(instance_id);
    r.protocol_type = "consumer";
    r.protocol_name = "range";
    for (auto& [id, bytes] : assignments) r.assignments.push_back({id, bytes});
    Answer<protocol::SyncGroupResponse> answer;
    coordinator->sync_group(ctx(version), kPartition, r, answer.callback());
    return answer;
  }

  int16_t heartbeat(const std::string& member_id, int32_t generation,
                    std::optional<std::string> instance_id = std::nullopt, const std::string& group = "g") {
    protocol::HeartbeatRequest r;
    r.group_id = group;
    r.generation_id = generation;
    r.member_id = member_id;
    r.group_instance_id = std::move(instance_id);
    return coordinator->heartbeat(ctx(4), kPartition, r).error_code;
  }

  Answer<protocol::LeaveGroupResponse> leave(std::vector<protocol::LeaveGroupRequest::MemberIdentity> members,
                                            int16_t version = 5, const std::string& group = "g") {
    protocol::LeaveGroupRequest r;
    r.group_id = group;
    if (version < 3 && !members.empty()) r.member_id = members.front().member_id;
    r.members = std::move(members);
    Answer<protocol::LeaveGroupResponse> answer;
    coordinator->leave_group(ctx(version), kPartition, r, answer.callback());
    return answer;
  }

  static protocol::LeaveGroupRequest::MemberIdentity identity(std::string member_id,
                                                              std::optional<std::string> instance_id = std::nullopt) {
    protocol::LeaveGroupRequest::MemberIdentity m;
    m.member_id = std::move(member_id);
    m.group_instance_id = std::move(instance_id);
    m.reason = std::nullopt;
    return m;
  }

  // A dynamic member joining the KIP-394 way: its id first, then the join
  // (left parked). Returns the member id.
  std::string get_member_id(const std::string& client_id = "client", const std::string& group = "g") {
    auto first = join(join_request("", std::nullopt, {"t"}, group), 7, client_id);
    EXPECT_TRUE(first.ready());
    EXPECT_EQ(first->error_code, code(ErrorCode::MemberIdRequired));
    return first->member_id;
  }

  // One member joins and syncs an empty group with no initial delay:
  // returns its id; the group is Stable at generation 1.
  std::string stable_single_member(const std::vector<uint8_t>& assignment = {1, 2, 3}) {
    const std::string id = get_member_id();
    auto joined = join(join_request(id));
    run_for(10);
    EXPECT_TRUE(joined.ready());
    EXPECT_EQ(joined->error_code, 0);
    auto synced = sync(id, joined->generation_id, {{id, assignment}});
    store.complete_all();
    EXPECT_TRUE(synced.ready());
    return id;
  }

  protocol::OffsetCommitRequest commit_request(const std::string& member_id, int32_t generation,
                                               std::vector<std::pair<std::string, int64_t>> offsets,
                                               const std::string& group = "g") const {
    protocol::OffsetCommitRequest r;
    r.group_id = group;
    r.generation_id_or_member_epoch = generation;
    r.member_id = member_id;
    for (auto& [topic, offset] : offsets) {
      auto& t = r.topics.emplace_back();
      t.name = topic;
      auto& p = t.partitions.emplace_back();
      p.partition_index = 0;
      p.committed_offset = offset;
      p.committed_metadata = "meta";
    }
    return r;
  }

  Answer<protocol::OffsetCommitResponse> commit(const protocol::OffsetCommitRequest& request, int16_t version = 8) {
    Answer<protocol::OffsetCommitResponse> answer;
    coordinator->commit_offsets(ctx(version), kPartition, request, answer.callback());
    return answer;
  }

  // The committed offset of (topic, 0), -1 if none.
  int64_t fetched_offset(const std::string& topic, const std::string& group = "g") {
    protocol::OffsetFetchRequest::OffsetFetchRequestGroup r;
    r.group_id = group;
    r.member_id = std::nullopt;
    r.topics.emplace();
    auto& t = r.topics->emplace_back();
    t.name = topic;
    t.partition_indexes = {0};
    auto response = coordinator->fetch_offsets(ctx(8), kPartition, r, false);
    EXPECT_EQ(response.error_code, 0);
    return response.topics.at(0).partitions.at(0).committed_offset;
  }

  protocol::DescribeGroupsResponse::DescribedGroup describe(const std::string& group = "g") {
    return coordinator->describe_group(ctx(5), kPartition, group);
  }

  GroupConfig config;
  MemoryStore store;
  std::unique_ptr<GroupCoordinator> coordinator;
  int64_t now = 1'000'000;
};

}  // namespace freshet::coordinator::testing
