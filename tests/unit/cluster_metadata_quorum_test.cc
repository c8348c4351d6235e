// The metadata quorum's driver over real metadata logs: a quorum of one
// elects itself and commits at once, across restarts; three in-process
// voters (messages queued between them, time handed in) elect one leader,
// replicate its proposals with their batches and apply the same records.
#include <gtest/gtest.h>

#include <unistd.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cluster/metadata_quorum.h"

namespace freshet::cluster::quorum_test {

namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("freshet-quorum-" + std::to_string(::getpid()) + "-" + name);
  fs::remove_all(dir);
  return dir;
}

std::vector<MetadataRecord> topic_records(const std::string& name) {
  protocol::TopicRecord topic;
  topic.name = name;
  topic.topic_id = protocol::Uuid::random();
  protocol::PartitionRecord partition;
  partition.topic_id = topic.topic_id;
  partition.replicas = {1};
  partition.isr = {1};
  partition.leader = 1;
  return {topic, partition};
}

std::string topic_name(const MetadataRecord& record) {
  const auto* topic = std::get_if<protocol::TopicRecord>(&record);
  return topic ? topic->name : "";
}

TEST(MetadataQuorumTest, QuorumOfOneElectsItselfAndCommitsAcrossRestarts) {
  const auto dir = fresh_dir("one");
  QuorumOptions options;
  options.voters = {options.self};
  std::vector<std::string> applied;
  auto open = [&] {
    return std::make_unique<MetadataQuorum>(
        dir, options,
        [&](std::span<const MetadataRecord> records) {
          for (const auto& r : records)
            if (!topic_name(r).empty()) applied.push_back(topic_name(r));
        },
        [](QuorumMessage) { FAIL() << "a quorum of one sent a message"; }, [] {}, 0);
  };
  auto quorum = open();
  quorum->start(0);
  EXPECT_EQ(quorum->core().role(), raft::Role::kLeader);
  EXPECT_EQ(quorum->core().epoch(), 1);
  EXPECT_EQ(quorum->applied_offset(), 1);  // the LeaderChangeMessage
  auto end = quorum->propose(topic_records("orders"), 10);
  ASSERT_TRUE(end);
  EXPECT_EQ(*end, 3);
  EXPECT_EQ(quorum->applied_offset(), 3);
  EXPECT_EQ(applied, std::vector<std::string>{"orders"});
  quorum->close();

  std::ifstream state_file(dir / "quorum-state");
  std::stringstream state;
  state << state_file.rdbuf();
  EXPECT_NE(state.str().find("\"leaderEpoch\":1"), std::string::npos) << state.str();
  EXPECT_NE(state.str().find("\"votedId\":1"), std::string::npos) << state.str();

  applied.clear();
  quorum = open();
  quorum->start(0);
  EXPECT_EQ(quorum->core().epoch(), 2);  // a restart is a new epoch
  EXPECT_EQ(applied, std::vector<std::string>{"orders"});
  EXPECT_EQ(quorum->applied_offset(), 4);
  ASSERT_TRUE(quorum->propose(topic_records("payments"), 20));
  EXPECT_EQ(applied, (std::vector<std::string>{"orders", "payments"}));
  quorum->close();
  fs::remove_all(dir);
}

// Three voters whose messages wait in one queue; deliver() runs it dry.
class ThreeVoters : public ::testing::Test {
 protected:
  void SetUp() override {
    for (raft::NodeId id : {1, 2, 3}) {
      dirs_.push_back(fresh_dir("three-" + std::to_string(id) + "-" +
                                ::testing::UnitTest::GetInstance()->current_test_info()->name()));
      applied_.emplace_back();
      open(id);
    }
  }
  void TearDown() override {
    for (auto& q : quorums_) q->close();
    for (auto& d : dirs_) fs::remove_all(d);
  }
  void open(raft::NodeId id) {
    QuorumOptions options;
    options.self = id;
    options.voters = {1, 2, 3};
    options.seed = static_cast<uint64_t>(id);
    auto index = static_cast<size_t>(id - 1);
    auto quorum = std::make_unique<MetadataQuorum>(
        dirs_[index], options,
        [this, index](std::span<const MetadataRecord> records) {
          for (const auto& r : records) applied_[index].push_back(topic_name(r));
        },
        [this, id](QuorumMessage m) {
          auto bytes = std::make_shared<std::vector<uint8_t>>(m.records.bytes.begin(), m.records.bytes.end());
          queue_.push_back({id, std::move(m), bytes});
        },
        [] {}, now_ms_);
    if (index < quorums_.size())
      quorums_[index] = std::move(quorum);
    else
      quorums_.push_back(std::move(quorum));
  }
  void deliver() {
    while (!queue_.empty()) {
      auto [from, m, bytes] = std::move(queue_.front());
      queue_.pop_front();
      quorums_[static_cast<size_t>(m.to - 1)]->receive(from, m.message, *bytes, now_ms_);
    }
  }
  // Advances time in 50 ms steps until `done`, at most 30 s.
  template <typename Done>
  void run_until(Done done) {
    for (int step = 0; step < 600 && !done(); ++step) {
      now_ms_ += 50;
      for (auto& q : quorums_) q->tick(now_ms_);
      deliver();
    }
    ASSERT_TRUE(done());
  }
  MetadataQuorum* leader() {
    for (auto& q : quorums_)
      if (q->core().role() == raft::Role::kLeader) return q.get();
    return nullptr;
  }

  struct Queued {
    raft::NodeId from;
    QuorumMessage message;
    std::shared_ptr<std::vector<uint8_t>> bytes;
  };
  int64_t now_ms_ = 0;
  std::vector<fs::path> dirs_;
  std::vector<std::unique_ptr<MetadataQuorum>> quorums_;
  std::vector<std::vector<std::string>> applied_;
  std::deque<Queued> queue_;
};

TEST_F(ThreeVoters, ElectOneLeaderAndApplyTheSameRecords) {
  run_until([&] { return leader() != nullptr; });
  MetadataQuorum* first = leader();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(first->propose(topic_records("t" + std::to_string(i)), now_ms_));
  deliver();
  const int64_t end = first->log_end_offset();
  run_until([&] {
    for (auto& q : quorums_)
      if (q->applied_offset() < end) return false;
    return true;
  });
  EXPECT_EQ(applied_[0], applied_[1]);
  EXPECT_EQ(applied_[1], applied_[2]);
  EXPECT_EQ(std::count_if(applied_[0].begin(), applied_[0].end(), [](auto& n) { return !n.empty(); }), 20);
  for (auto& q : quorums_) EXPECT_NE(q.get() != first, q->propose(topic_records("x"), now_ms_).has_value());
}

TEST_F(ThreeVoters, ANewLeaderKeepsWhatWasCommittedAndRestartedVotersCatchUp) {
  run_until([&] { return leader() != nullptr; });
  const auto old_leader = static_cast<size_t>(leader()->core().self() - 1);
  ASSERT_TRUE(leader()->propose(topic_records("kept"), now_ms_));
  deliver();
  const int64_t end = quorums_[old_leader]->log_end_offset();
  run_until([&] { return quorums_[old_leader]->applied_offset() >= end; });
  // The leader dies and comes back; another one is elected meanwhile.
  quorums_[old_leader]->close();
  queue_.clear();
  const int32_t epoch = quorums_[(old_leader + 1) % 3]->core().epoch();
  auto others_lead = [&] {
    for (size_t i = 0; i < 3; ++i)
      if (i != old_leader && quorums_[i]->core().role() == raft::Role::kLeader) return true;
    return false;
  };
  for (int step = 0; step < 600 && !others_lead(); ++step) {
    now_ms_ += 50;
    for (size_t i = 0; i < 3; ++i)
      if (i != old_leader) quorums_[i]->tick(now_ms_);
    while (!queue_.empty()) {
      auto [from, m, bytes] = std::move(queue_.front());
      queue_.pop_front();
      if (static_cast<size_t>(m.to - 1) != old_leader) quorums_[static_cast<size_t>(m.to - 1)]->receive(from, m.message, *bytes, now_ms_);
    }
  }
  ASSERT_TRUE(others_lead());
  EXPECT_GT(leader()->core().epoch(), epoch);
  ASSERT_TRUE(leader()->propose(topic_records("after"), now_ms_));
  applied_[old_leader].clear();
  open(static_cast<raft::NodeId>(old_leader + 1));
  const int64_t new_end = leader()->log_end_offset();
  run_until([&] { return quorums_[old_leader]->applied_offset() >= new_end; });
  auto topics = [](const std::vector<std::string>& names) {
    std::vector<std::string> out;
    for (const auto& n : names)
      if (!n.empty()) out.push_back(n);
    return out;
  };
  EXPECT_EQ(topics(applied_[old_leader]), (std::vector<std::string>{"kept", "after"}));
}

}  // namespace freshet::cluster::quorum_test
