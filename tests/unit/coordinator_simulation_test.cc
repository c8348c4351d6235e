// Seeded, deterministic simulation: well-behaved consumers (join, sync,
// heartbeat, commit, leave, come back) plus junk requests, random timeouts,
// store failures and partition reloads. The coordinator must never crash or
// answer a request twice; once the chaos stops, every group must settle
// with all its live consumers Stable in one generation; and after an unload
// no request may be left unanswered.
#include <map>
#include <random>

#include "coordinator_test_harness.h"

namespace freshet::coordinator::testing {
namespace {

class SimulationTest : public CoordinatorTest, public ::testing::WithParamInterface<uint32_t> {
 protected:
  struct Consumer {
    std::string group;
    std::optional<std::string> instance_id;
    std::string member_id;
    int32_t generation = -1;
    enum class Phase { kIdle, kJoining, kSyncing, kStable, kGone } phase = Phase::kIdle;
    std::optional<Answer<protocol::JoinGroupResponse>> join;
    std::optional<Answer<protocol::SyncGroupResponse>> sync;
  };

  template <typename T>
  void track(const Answer<T>& answer) {
    all_answers_.push_back([answer] { return answer.ready(); });
  }
  uint32_t roll(uint32_t n) { return rng_() % n; }
  int32_t any_int() {
    static constexpr int32_t kValues[] = {-1, 0, INT32_MAX, INT32_MIN, 1, 6000, 45000};
    return kValues[roll(7)];
  }
  std::vector<uint8_t> any_bytes() {
    std::vector<uint8_t> bytes(roll(12));
    for (auto& b : bytes) b = static_cast<uint8_t>(rng_());
    return bytes;
  }

  // One move of a well-behaved consumer, reacting to its last answer.
  void move(Consumer& c) {
    using Phase = Consumer::Phase;
    auto reset = [&](int16_t error) {
      if (error == code(ErrorCode::UnknownMemberId)) c.member_id.clear();
      c.phase = error == code(ErrorCode::FencedInstanceId) ? Phase::kGone : Phase::kIdle;
    };
    switch (c.phase) {
      case Phase::kIdle: {
        auto request = join_request(c.member_id, c.instance_id, {"t"}, c.group);
        c.join = join(request, static_cast<int16_t>(4 + roll(6)));
        track(*c.join);
        c.phase = Phase::kJoining;
        return;
      }
      case Phase::kJoining: {
        if (!c.join->ready()) return;
        const auto& r = **c.join;
        if (r.error_code == code(ErrorCode::MemberIdRequired)) {
          c.member_id = r.member_id;
          c.phase = Phase::kIdle;
          return;
        }
        if (r.error_code != 0) return reset(r.error_code);
        c.member_id = r.member_id;
        c.generation = r.generation_id;
        std::vector<std::pair<std::string, std::vector<uint8_t>>> assignments;
        if (r.leader == c.member_id && !r.skip_assignment) {
          for (const auto& m : r.members) assignments.emplace_back(m.member_id, std::vector<uint8_t>{1});
        }
        c.sync = sync(c.member_id, c.generation, assignments, c.instance_id, 5, c.group);
        track(*c.sync);
        c.phase = Phase::kSyncing;
        return;
      }
      case Phase::kSyncing: {
        if (!c.sync->ready()) return;
        if ((*c.sync)->error_code != 0) return reset((*c.sync)->error_code);
        c.phase = Phase::kStable;
        return;
      }
      case Phase::kStable: {
        const uint32_t action = roll(40);
        if (action == 0 && chaos_) {
          track(leave({identity(c.member_id, c.instance_id)}, 5, c.group));
          c.member_id.clear();
          c.phase = Phase::kIdle;
          return;
        }
        if (action < 8) {
          auto request = commit_request(c.member_id, c.generation, {{"t", static_cast<int64_t>(rng_() % 1000)}}, c.group);
          request.group_instance_id = c.instance_id;
          track(commit(request, 8));
          return;
        }
        const int16_t error = heartbeat(c.member_id, c.generation, c.instance_id, c.group);
        if (error != 0) reset(error);
        return;
      }
      case Phase::kGone:
        return;
    }
  }

  // A junk or out-of-protocol request.
  void chaos() {
    const std::string group = roll(5) == 0 ? "" : groups_[roll(groups_.size())];
    const std::string member = roll(3) == 0 ? "bogus" : roll(2) ? "" : consumers_[roll(consumers_.size())].member_id;
    const std::optional<std::string> instance = roll(3) == 0 ? std::optional<std::string>("x1") : std::nullopt;
    const int16_t version = static_cast<int16_t>(roll(10));
    switch (roll(8)) {
      case 0: {
        auto request = join_request(member, instance, {"t"}, group);
        if (roll(2)) request.session_timeout_ms = any_int();
        if (roll(2)) request.rebalance_timeout_ms = any_int();
        if (roll(4) == 0) request.protocol_type = roll(2) ? "" : "connect";
        if (roll(3) == 0) request.protocols.insert(request.protocols.begin(), {"roundrobin", any_bytes()});
        if (roll(6) == 0) request.protocols.clear();
        track(join(request, version));
        return;
      }
      case 1: {
        std::vector<std::pair<std::string, std::vector<uint8_t>>> assignments{{member, any_bytes()}};
        track(sync(member, any_int(), assignments, instance, static_cast<int16_t>(roll(6)), group));
        return;
      }
      case 2:
        heartbeat(member, any_int(), instance, group);
        return;
      case 3: {
        auto request = commit_request(member, roll(2) ? -1 : any_int(), {{"u", any_int()}}, group);
        if (roll(3) == 0) request.topics[0].partitions[0].committed_metadata = std::string(roll(6000), 'm');
        if (roll(3) == 0) request.retention_time_ms = any_int();
        track(commit(request, version));
        return;
      }
      case 4: {
        protocol::OffsetFetchRequest::OffsetFetchRequestGroup request;
        request.group_id = group;
        if (roll(2)) request.topics = std::nullopt;
        coordinator->fetch_offsets(ctx(8), kPartition, request, roll(2));
        describe(group);
        coordinator->list_groups({roll(2) ? "stable" : "EMPTY"});
        return;
      }
      case 5: {
        protocol::OffsetDeleteRequest request;
        request.group_id = group;
        request.topics.resize(1);
        request.topics[0].name = roll(2) ? "t" : "u";
        request.topics[0].partitions.resize(1);
        Answer<protocol::OffsetDeleteResponse> answer;
        coordinator->delete_offsets(ctx(0), kPartition, request, answer.callback());
        track(answer);
        return;
      }
      case 6: {
        Answer<protocol::DeleteGroupsResponse::DeletableGroupResult> answer;
        coordinator->delete_group(ctx(2), kPartition, group, answer.callback());
        track(answer);
        return;
      }
      case 7:
        track(leave({identity(member, instance)}, version, group));
        return;
    }
  }

  void reload() {
    store.complete_all();
    coordinator->unload(kPartition);
    coordinator->begin_loading(kPartition);
    for (const auto& [partition, record] : store.log) {
      std::optional<std::span<const uint8_t>> value;
      if (record.value) value = std::span<const uint8_t>(*record.value);
      coordinator->replay(partition, record.key, value, now);
    }
    coordinator->finish_loading(kPartition, now);
  }

  void step() {
    if (!chaos_) {
      // Punctual consumers and a healthy store.
      for (auto& c : consumers_) move(c);
      store.complete_all();
      run_for(1000);
      return;
    }
    for (auto& c : consumers_) {
      if (roll(3) == 0) move(c);
    }
    if (roll(3) == 0) chaos();
    if (!store.pending.empty() && roll(2) == 0) {
      store.complete_next(roll(8) == 0 ? ErrorCode::NotLeaderOrFollower : ErrorCode::None);
    }
    if (roll(400) == 0) reload();
    run_for(roll(3000));
  }

  std::mt19937 rng_{GetParam()};
  bool chaos_ = true;
  std::vector<std::string> groups_{"g", "h"};
  std::vector<Consumer> consumers_;
  std::vector<std::function<bool()>> all_answers_;
};

TEST_P(SimulationTest, SettlesAndAnswersEverything) {
  config.initial_rebalance_delay_ms = 500;
  config.offsets_retention_ms = 60000;
  config.offsets_retention_check_interval_ms = 7000;
  start();
  for (int i = 0; i < 6; ++i) {
    Consumer c;
    c.group = groups_[i % 2];
    if (i % 3 == 0) c.instance_id = "static-" + std::to_string(i);
    consumers_.push_back(c);
  }
  for (int i = 0; i < 2000; ++i) step();

  // No more chaos: the groups must settle.
  chaos_ = false;
  for (int i = 0; i < 600; ++i) step();
  std::map<std::string, std::set<int32_t>> generations;
  for (const auto& c : consumers_) {
    if (c.phase == Consumer::Phase::kGone) continue;
    EXPECT_EQ(static_cast<int>(c.phase), static_cast<int>(Consumer::Phase::kStable)) << c.group << " " << c.member_id;
    generations[c.group].insert(c.generation);
  }
  for (const auto& [group, seen] : generations) {
    EXPECT_EQ(seen.size(), 1u) << group;
    EXPECT_EQ(describe(group).group_state, "Stable") << group;
  }

  store.complete_all();
  coordinator->unload(kPartition);
  store.complete_all();
  for (const auto& answered : all_answers_) EXPECT_TRUE(answered());
  EXPECT_FALSE(coordinator->next_deadline_ms().has_value());
}

INSTANTIATE_TEST_SUITE_P(Seeds, SimulationTest, ::testing::Range(1u, 21u));

}  // namespace
}  // namespace freshet::coordinator::testing
