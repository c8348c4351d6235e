// The metadata quorum's driver over real metadata logs: a quorum of one
// elects itself and commits at once, across restarts, and starts again from
// its snapshot; three in-process voters (messages queued between them, time
// handed in) elect one leader, replicate its proposals with their batches
// and apply the same records; one that was down while the log moved past it
// catches up by fetching the leader's snapshot.
#include <gtest/gtest.h>

#include <unistd.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

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

// The names of the topics in `image`, in name order.
std::vector<std::string> topics_of(const MetadataImage& image) {
  std::vector<std::string> names;
  for (const auto& [name, topic] : image.topics()) names.push_back(name);
  return names;
}

// Callbacks that keep `image` as the quorum applies records, and `applied`
// the names of the topics committed since (not those of a snapshot loaded).
QuorumCallbacks image_callbacks(MetadataImage& image, std::vector<std::string>& applied) {
  QuorumCallbacks callbacks;
  callbacks.committed = [&](std::span<const MetadataRecord> records) {
    for (const auto& r : records) {
      image.apply(r);
      applied.push_back(topic_name(r));
    }
  };
  callbacks.loaded = [&](std::span<const MetadataRecord> records) {
    image = MetadataImage();
    for (const auto& r : records) image.apply(r);
  };
  callbacks.image_records = [&] { return image.records(); };
  callbacks.resigned = [] {};
  return callbacks;
}

std::vector<std::string> named(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const auto& n : names)
    if (!n.empty()) out.push_back(n);
  return out;
}

TEST(MetadataQuorumTest, QuorumOfOneElectsItselfAndCommitsAcrossRestarts) {
  const auto dir = fresh_dir("one");
  QuorumOptions options;
  options.voters = {options.self};
  MetadataImage image;
  std::vector<std::string> applied;
  auto open = [&] {
    auto callbacks = image_callbacks(image, applied);
    callbacks.send = [](QuorumMessage) { FAIL() << "a quorum of one sent a message"; };
    image = MetadataImage();
    applied.clear();
    return std::make_unique<MetadataQuorum>(dir, options, std::move(callbacks), 0);
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
  EXPECT_EQ(named(applied), std::vector<std::string>{"orders"});
  quorum->close();

  std::ifstream state_file(dir / "quorum-state");
  std::stringstream state;
  state << state_file.rdbuf();
  EXPECT_NE(state.str().find("\"leaderEpoch\":1"), std::string::npos) << state.str();
  EXPECT_NE(state.str().find("\"votedId\":1"), std::string::npos) << state.str();

  quorum = open();
  quorum->start(0);
  EXPECT_EQ(quorum->core().epoch(), 2);  // a restart is a new epoch
  EXPECT_EQ(named(applied), std::vector<std::string>{"orders"});
  EXPECT_EQ(quorum->applied_offset(), 4);
  ASSERT_TRUE(quorum->propose(topic_records("payments"), 20));
  EXPECT_EQ(named(applied), (std::vector<std::string>{"orders", "payments"}));
  quorum->close();
  fs::remove_all(dir);
}

TEST(MetadataQuorumTest, SnapshotsEveryFewBytesAndRestartsFromTheLatest) {
  const auto dir = fresh_dir("snapshots");
  QuorumOptions options;
  options.voters = {options.self};
  options.snapshot_max_record_bytes = 1024;
  MetadataImage image;
  std::vector<std::string> applied;
  auto open = [&] {
    auto callbacks = image_callbacks(image, applied);
    callbacks.send = [](QuorumMessage) {};
    image = MetadataImage();
    applied.clear();
    return std::make_unique<MetadataQuorum>(dir, options, std::move(callbacks), 0);
  };
  auto quorum = open();
  quorum->start(0);
  std::vector<std::string> created;
  for (int i = 0; i < 100; ++i) {
    created.push_back(fmt::format("t{:03d}", i));
    ASSERT_TRUE(quorum->propose(topic_records(created.back()), 10 + i));
  }
  // Snapshots were taken, and the log starts at the one before the latest.
  const raft::SnapshotId latest = quorum->core().latest_snapshot();
  EXPECT_GT(latest.end_offset, 100);
  EXPECT_GT(quorum->core().log_start().end_offset, 0);
  EXPECT_LT(quorum->core().log_start().end_offset, latest.end_offset);
  EXPECT_EQ(SnapshotStore(dir).list().size(), 2u);
  quorum->close();

  // Restarted: the image comes from the latest snapshot, the rest from the log.
  quorum = open();
  quorum->start(0);
  EXPECT_EQ(topics_of(image), created);
  EXPECT_EQ(quorum->core().log_start(), SnapshotStore(dir).list().front());
  EXPECT_LT(named(applied).size(), created.size());  // most came from the snapshot
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
      images_.emplace_back();
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
    options.snapshot_max_record_bytes = snapshot_max_record_bytes_;
    auto index = static_cast<size_t>(id - 1);
    images_[index] = MetadataImage();
    auto callbacks = image_callbacks(images_[index], applied_[index]);
    callbacks.send = [this, id](QuorumMessage m) {
      auto bytes = std::make_shared<std::vector<uint8_t>>(m.records.bytes.begin(), m.records.bytes.end());
      queue_.push_back({id, std::move(m), bytes});
    };
    auto quorum = std::make_unique<MetadataQuorum>(dirs_[index], options, std::move(callbacks), now_ms_);
    quorum->start(now_ms_);
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
  int64_t snapshot_max_record_bytes_ = 20 << 20;
  std::vector<fs::path> dirs_;
  std::deque<MetadataImage> images_;  // stable addresses: the callbacks hold them
  std::vector<std::unique_ptr<MetadataQuorum>> quorums_;
  std::deque<std::vector<std::string>> applied_;  // stable addresses too
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
  EXPECT_EQ(topics_of(images_[0]), topics_of(images_[1]));
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
  EXPECT_EQ(named(applied_[old_leader]), (std::vector<std::string>{"kept", "after"}));
}

// Snapshots every kilobyte or so: the log soon starts well past offset 0.
class ThreeVotersSnapshotting : public ThreeVoters {
 protected:
  void SetUp() override {
    snapshot_max_record_bytes_ = 1024;
    ThreeVoters::SetUp();
  }
};

TEST_F(ThreeVotersSnapshotting, AVoterDownWhileTheLogMovedOnCatchesUpFromTheLeadersSnapshot) {
  run_until([&] { return leader() != nullptr; });
  const auto down = static_cast<size_t>(leader()->core().self() % 3);  // a follower
  quorums_[down]->close();
  std::vector<std::string> created;
  for (int i = 0; i < 200; ++i) {
    created.push_back(fmt::format("t{:03d}", i));
    ASSERT_TRUE(leader()->propose(topic_records(created.back()), now_ms_));
    // Deliver among the two that are up (the one down drops what it is sent).
    for (size_t k = 0; k < 3; ++k)
      if (k != down) quorums_[k]->tick(now_ms_ += 5);
    while (!queue_.empty()) {
      auto [from, m, bytes] = std::move(queue_.front());
      queue_.pop_front();
      if (static_cast<size_t>(m.to - 1) != down) quorums_[static_cast<size_t>(m.to - 1)]->receive(from, m.message, *bytes, now_ms_);
    }
  }
  ASSERT_GT(leader()->core().log_start().end_offset, 0);
  // It comes back: the leader's log now starts past where its log ends.
  ASSERT_LT(quorums_[down]->log_end_offset(), leader()->core().log_start().end_offset);
  open(static_cast<raft::NodeId>(down + 1));
  const int64_t end = leader()->log_end_offset();
  run_until([&] { return quorums_[down]->applied_offset() >= end; });
  EXPECT_EQ(topics_of(images_[down]), created);
  EXPECT_EQ(quorums_[down]->core().log_start().end_offset, leader()->core().latest_snapshot().end_offset);
  EXPECT_LT(named(applied_[down]).size(), created.size());  // most came from the snapshot
}

}  // namespace freshet::cluster::quorum_test
