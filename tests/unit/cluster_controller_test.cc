#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <map>

#include "cluster/controller.h"
#include "cluster/replica_placement.h"

namespace freshet::cluster {
namespace {

using protocol::ErrorCode;

class ControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("freshet-controller-" + std::to_string(::getpid()) + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    open();
  }
  void TearDown() override {
    controller_.reset();
    quorum_->close();
    quorum_.reset();
    std::filesystem::remove_all(dir_);
  }
  void open() {
    QuorumOptions options;
    options.voters = {options.self};
    auto callbacks = controller_callbacks(controller_);
    callbacks.send = [](QuorumMessage) { FAIL() << "a quorum of one sent a message"; };
    quorum_ = std::make_unique<MetadataQuorum>(dir_, options, std::move(callbacks), 0);
    controller_ = std::make_unique<Controller>(config_, *quorum_, [this](auto next) { published_ = next; });
    quorum_->start(0);
    // Broker 1 registers at every start, as a node does.
    BrokerRegistration registration;
    registration.broker_id = 1;
    registration.endpoints = {{"PLAINTEXT", "127.0.0.1", 9092}};
    ASSERT_EQ(controller_->register_broker(registration, 0).error, ErrorCode::None);
  }
  void reopen() {
    controller_.reset();
    quorum_->close();
    open();
  }
  NewTopic topic(std::string name, int32_t partitions = -1) {
    NewTopic t;
    t.name = std::move(name);
    t.partitions = partitions;
    return t;
  }

  BrokerConfig config_ = BrokerConfig::load(std::nullopt, {"num.partitions=2"}, nullptr);
  std::filesystem::path dir_;
  std::unique_ptr<MetadataQuorum> quorum_;
  std::unique_ptr<Controller> controller_;
  std::shared_ptr<const MetadataImage> published_;
};

TEST_F(ControllerTest, CreatedTopicsSurviveReopen) {
  auto t = topic("orders", 3);
  t.configs["retention.ms"] = "1000";
  ASSERT_EQ(controller_->create_topic(t, false).error, ErrorCode::None);
  ASSERT_EQ(controller_->create_topic(topic("defaults"), false).error, ErrorCode::None);
  ASSERT_EQ(published_, controller_->image());
  auto id = controller_->image()->topic("orders")->id;

  reopen();
  const TopicInfo* orders = controller_->image()->topic("orders");
  ASSERT_NE(orders, nullptr);
  EXPECT_EQ(orders->id, id);
  EXPECT_EQ(orders->partitions.size(), 3u);
  EXPECT_EQ(orders->configs.at("retention.ms"), "1000");
  EXPECT_EQ(controller_->image()->topic("defaults")->partitions.size(), 2u);  // num.partitions
}

TEST_F(ControllerTest, RefusesWhatKafkaRefuses) {
  ASSERT_EQ(controller_->create_topic(topic("a"), false).error, ErrorCode::None);
  EXPECT_EQ(controller_->create_topic(topic("a"), false).error, ErrorCode::TopicAlreadyExists);
  EXPECT_EQ(controller_->create_topic(topic("bad name"), false).error, ErrorCode::InvalidTopicException);
  EXPECT_EQ(controller_->create_topic(topic("zero", 0), false).error, ErrorCode::InvalidPartitions);
  auto replicated = topic("replicated");
  replicated.replication_factor = 3;  // one broker registered
  EXPECT_EQ(controller_->create_topic(replicated, false).error, ErrorCode::InvalidReplicationFactor);
  auto badconfig = topic("badconfig");
  badconfig.configs["retention.ms"] = "soon";
  EXPECT_EQ(controller_->create_topic(badconfig, false).error, ErrorCode::InvalidConfig);
  EXPECT_EQ(controller_->create_partitions("a", 1, false).error, ErrorCode::InvalidPartitions);
  EXPECT_EQ(controller_->create_partitions("a", 2, false).error, ErrorCode::InvalidPartitions);
  EXPECT_EQ(controller_->create_partitions("missing", 5, false).error, ErrorCode::UnknownTopicOrPartition);
  EXPECT_EQ(controller_->delete_topic("missing").error, ErrorCode::UnknownTopicOrPartition);
  // Kafka's cap on the records one request may add.
  auto huge = controller_->create_topic(topic("huge", 10001), false);
  EXPECT_EQ(huge.error, ErrorCode::PolicyViolation);
  EXPECT_EQ(huge.message, "Unable to perform excessively large batch operation.");
  EXPECT_EQ(controller_->create_partitions("a", 2 + 10001, false).error, ErrorCode::PolicyViolation);
}

// A corrupt or hostile metadata log never leaves the image inconsistent.
TEST(MetadataImageTest, ARepeatedTopicNameOrIdReplacesTheOldTopic) {
  MetadataImage image;
  protocol::Uuid x{1, 1}, y{2, 2};
  protocol::TopicRecord a_x;
  a_x.name = "a";
  a_x.topic_id = x;
  protocol::TopicRecord a_y = a_x;
  a_y.topic_id = y;
  image.apply(a_x);
  image.apply(a_y);  // same name, new id
  EXPECT_EQ(image.topic(x), nullptr);
  ASSERT_NE(image.topic(y), nullptr);
  protocol::RemoveTopicRecord remove_x;
  remove_x.topic_id = x;
  image.apply(remove_x);  // the stale id is gone: nothing happens
  protocol::PartitionRecord partition;
  partition.topic_id = y;
  partition.partition_id = 0;
  image.apply(partition);
  EXPECT_EQ(image.topic("a")->partitions.size(), 1u);
  partition.partition_id = kMaxPartitionsPerTopic;  // beyond the cap: ignored
  image.apply(partition);
  EXPECT_EQ(image.topic("a")->partitions.size(), 1u);
}

TEST_F(ControllerTest, ReplicasAreStripedOverTheRegisteredBrokers) {
  for (int32_t id : {2, 3}) {
    BrokerRegistration registration;
    registration.broker_id = id;
    registration.endpoints = {{"PLAINTEXT", "127.0.0.1", static_cast<uint16_t>(9092 + id)}};
    auto result = controller_->register_broker(registration, 0);
    ASSERT_EQ(result.error, ErrorCode::None);
    EXPECT_EQ(controller_->image()->broker(id)->epoch, result.broker_epoch);
  }
  EXPECT_EQ(controller_->live_brokers(), (std::vector<int32_t>{1, 2, 3}));
  auto t = topic("spread", 6);
  ASSERT_EQ(controller_->create_topic(t, false).error, ErrorCode::None);
  std::map<int32_t, int> leaders;
  for (const auto& p : controller_->image()->topic("spread")->partitions) {
    ASSERT_EQ(p.replicas.size(), 1u);
    EXPECT_EQ(p.leader, p.replicas[0]);
    ++leaders[p.leader];
  }
  EXPECT_EQ(leaders, (std::map<int32_t, int>{{1, 2}, {2, 2}, {3, 2}}));
  t = topic("replicated", 3);
  t.replication_factor = 2;
  ASSERT_EQ(controller_->create_topic(t, false).error, ErrorCode::None);
  for (const auto& p : controller_->image()->topic("replicated")->partitions) {
    ASSERT_EQ(p.replicas.size(), 2u);
    EXPECT_NE(p.replicas[0], p.replicas[1]);
    EXPECT_EQ(p.isr, p.replicas);
    EXPECT_EQ(p.leader, p.replicas[0]);
  }
  t = topic("too-many", 1);
  t.replication_factor = 4;
  EXPECT_EQ(controller_->create_topic(t, false).error, ErrorCode::InvalidReplicationFactor);
  // A broker's new registration replaces the old one, at a later epoch.
  BrokerRegistration again;
  again.broker_id = 2;
  const int64_t before = controller_->image()->broker(2)->epoch;
  ASSERT_EQ(controller_->register_broker(again, 0).error, ErrorCode::None);
  EXPECT_GT(controller_->image()->broker(2)->epoch, before);
}

TEST_F(ControllerTest, SilentBrokersAreFencedAndHeartbeatsUnfenceThem) {
  BrokerRegistration two;
  two.broker_id = 2;
  const int64_t epoch = controller_->register_broker(two, 1000).broker_epoch;
  controller_->fence_silent_brokers(5000, 9000);  // broker 1 is new to these sessions: a full one from now
  EXPECT_EQ(controller_->live_brokers(), (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(controller_->heartbeat({1, controller_->image()->broker(1)->epoch, false}, 9500).error, ErrorCode::None);
  controller_->fence_silent_brokers(10500, 9000);  // 2 silent since 1000
  EXPECT_EQ(controller_->live_brokers(), (std::vector<int32_t>{1}));
  EXPECT_TRUE(controller_->image()->broker(2)->fenced);
  EXPECT_EQ(controller_->heartbeat({2, epoch - 1, false}, 11000).error, ErrorCode::StaleBrokerEpoch);
  EXPECT_EQ(controller_->heartbeat({7, 0, false}, 11000).error, ErrorCode::BrokerIdNotRegistered);
  auto back = controller_->heartbeat({2, epoch, false}, 11000);
  EXPECT_EQ(back.error, ErrorCode::None);
  EXPECT_FALSE(back.fenced);
  EXPECT_EQ(controller_->live_brokers(), (std::vector<int32_t>{1, 2}));
  // Controlled shutdown: fenced at once.
  auto leaving = controller_->heartbeat({2, epoch, true}, 11500);
  EXPECT_TRUE(leaving.fenced && leaving.should_shut_down);
  EXPECT_EQ(controller_->live_brokers(), (std::vector<int32_t>{1}));
}

TEST_F(ControllerTest, ABrokerWhoseHeartbeatConnectionClosedIsFencedAtOnce) {
  BrokerRegistration two;
  two.broker_id = 2;
  const int64_t epoch = controller_->register_broker(two, 1000).broker_epoch;
  controller_->fence_lost_broker(2, epoch - 1);  // an older registration's connection: nothing
  EXPECT_EQ(controller_->live_brokers(), (std::vector<int32_t>{1, 2}));
  controller_->fence_lost_broker(2, epoch);
  EXPECT_EQ(controller_->live_brokers(), (std::vector<int32_t>{1}));
  // Alive after all: its next heartbeat unfences it.
  EXPECT_FALSE(controller_->heartbeat({2, epoch, false}, 1500).fenced);
  EXPECT_EQ(controller_->live_brokers(), (std::vector<int32_t>{1, 2}));
}

class ReplicatedControllerTest : public ControllerTest {
 protected:
  void SetUp() override {
    ControllerTest::SetUp();
    for (int32_t id : {2, 3}) {
      BrokerRegistration registration;
      registration.broker_id = id;
      epochs_[id] = controller_->register_broker(registration, 0).broker_epoch;
    }
    epochs_[1] = controller_->image()->broker(1)->epoch;
    NewTopic t = topic("replicated");
    t.assignments = {{1, 2, 3}};
    ASSERT_EQ(controller_->create_topic(t, false).error, ErrorCode::None);
    id_ = controller_->image()->topic("replicated")->id;
  }
  const PartitionInfo& partition() const { return controller_->image()->topic(id_)->partitions[0]; }
  IsrChangeRequest isr_change(int32_t leader, std::vector<int32_t> isr) const {
    return {leader, epochs_.at(leader), id_, 0, partition().leader_epoch, partition().partition_epoch, std::move(isr)};
  }
  std::map<int32_t, int64_t> epochs_;
  protocol::Uuid id_;
};

TEST_F(ReplicatedControllerTest, AFencedLeaderHandsOverToTheNextInSyncReplica) {
  ASSERT_EQ(partition().leader, 1);
  ASSERT_EQ(controller_->heartbeat({1, epochs_[1], true}, 10).error, ErrorCode::None);  // controlled shutdown
  EXPECT_EQ(partition().leader, 2);
  EXPECT_EQ(partition().isr, (std::vector<int32_t>{2, 3}));
  EXPECT_EQ(partition().leader_epoch, 1);
  ASSERT_EQ(controller_->heartbeat({2, epochs_[2], true}, 10).error, ErrorCode::None);
  ASSERT_EQ(controller_->heartbeat({3, epochs_[3], true}, 10).error, ErrorCode::None);
  // The last in-sync replica keeps its place; nobody else may lead.
  EXPECT_EQ(partition().leader, -1);
  EXPECT_EQ(partition().isr, (std::vector<int32_t>{3}));
  ASSERT_EQ(controller_->heartbeat({1, epochs_[1], false}, 20).error, ErrorCode::None);
  EXPECT_EQ(partition().leader, -1);  // 1 is out of sync: no unclean election
  ASSERT_EQ(controller_->heartbeat({3, epochs_[3], false}, 20).error, ErrorCode::None);
  EXPECT_EQ(partition().leader, 3);
}

TEST_F(ReplicatedControllerTest, ARestartedLeaderStartsANewLeaderEpoch) {
  const int32_t epoch = partition().leader_epoch;
  BrokerRegistration again;
  again.broker_id = 1;
  ASSERT_EQ(controller_->register_broker(again, 0).error, ErrorCode::None);
  EXPECT_EQ(partition().leader, 2);
  EXPECT_EQ(partition().isr, (std::vector<int32_t>{2, 3}));
  EXPECT_GT(partition().leader_epoch, epoch);
}

TEST_F(ReplicatedControllerTest, AlterPartitionChecksAsKafkaDoes) {
  auto request = isr_change(1, {1, 2});
  request.broker_epoch -= 1;
  EXPECT_EQ(controller_->alter_partition(request).error, ErrorCode::StaleBrokerEpoch);
  EXPECT_EQ(controller_->alter_partition(isr_change(2, {2, 1})).error, ErrorCode::NotLeaderOrFollower);
  request = isr_change(1, {1, 2});
  request.partition_epoch += 1;
  EXPECT_EQ(controller_->alter_partition(request).error, ErrorCode::InvalidUpdateVersion);
  request = isr_change(1, {1, 2});
  request.leader_epoch -= 1;
  EXPECT_EQ(controller_->alter_partition(request).error, ErrorCode::FencedLeaderEpoch);
  EXPECT_EQ(controller_->alter_partition(isr_change(1, {1, 4})).error, ErrorCode::IneligibleReplica);

  auto shrunk = controller_->alter_partition(isr_change(1, {1, 2}));
  ASSERT_EQ(shrunk.error, ErrorCode::None);
  EXPECT_EQ(shrunk.partition.isr, (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(partition().isr, (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(partition().leader_epoch, 0);  // the same leader
  // A fenced broker may not join.
  ASSERT_EQ(controller_->heartbeat({3, epochs_[3], true}, 10).error, ErrorCode::None);
  EXPECT_EQ(controller_->alter_partition(isr_change(1, {1, 2, 3})).error, ErrorCode::IneligibleReplica);
  ASSERT_EQ(controller_->heartbeat({3, epochs_[3], false}, 10).error, ErrorCode::None);
  EXPECT_EQ(controller_->alter_partition(isr_change(1, {1, 2, 3})).error, ErrorCode::None);
  EXPECT_EQ(partition().isr, (std::vector<int32_t>{1, 2, 3}));
}

TEST_F(ControllerTest, ProducerIdBlocksNeverRepeatAcrossReopen) {
  auto first = controller_->allocate_producer_ids(1, -1);
  ASSERT_EQ(first.error, ErrorCode::None);
  EXPECT_EQ(first.first_id, 0);
  EXPECT_EQ(first.size, kProducerIdBlockSize);
  auto second = controller_->allocate_producer_ids(1, -1);
  EXPECT_EQ(second.first_id, first.first_id + kProducerIdBlockSize);
  EXPECT_EQ(published_->next_producer_id(), second.first_id + kProducerIdBlockSize);

  reopen();
  EXPECT_EQ(controller_->image()->next_producer_id(), second.first_id + kProducerIdBlockSize);
  EXPECT_EQ(controller_->allocate_producer_ids(1, -1).first_id, second.first_id + kProducerIdBlockSize);
}

TEST_F(ControllerTest, ValidateOnlyChangesNothing) {
  EXPECT_EQ(controller_->create_topic(topic("dry"), true).error, ErrorCode::None);
  EXPECT_EQ(controller_->image()->topic("dry"), nullptr);
}

TEST_F(ControllerTest, PartitionsGrowAndTopicsGoAway) {
  ASSERT_EQ(controller_->create_topic(topic("grow", 1), false).error, ErrorCode::None);
  ASSERT_EQ(controller_->create_partitions("grow", 4, false).error, ErrorCode::None);
  ASSERT_EQ(controller_->delete_topic("grow").error, ErrorCode::None);
  ASSERT_EQ(controller_->create_topic(topic("grow", 2), false).error, ErrorCode::None);
  reopen();
  EXPECT_EQ(controller_->image()->topic("grow")->partitions.size(), 2u);
}

TEST_F(ControllerTest, IncrementalConfigOperations) {
  ASSERT_EQ(controller_->create_topic(topic("cfg"), false).error, ErrorCode::None);
  std::vector<ConfigChange> changes{{"retention.ms", ConfigOp::Set, "5000"},
                                    {"cleanup.policy", ConfigOp::Append, "compact"}};
  ASSERT_EQ(controller_->alter_topic_configs("cfg", changes, false).error, ErrorCode::None);
  EXPECT_EQ(controller_->image()->topic("cfg")->configs.at("cleanup.policy"), "delete,compact");
  ASSERT_EQ(controller_->alter_topic_configs("cfg", {{"cleanup.policy", ConfigOp::Subtract, "delete"}}, false).error,
            ErrorCode::None);
  EXPECT_EQ(controller_->image()->topic("cfg")->configs.at("cleanup.policy"), "compact");
  ASSERT_EQ(controller_->alter_topic_configs("cfg", {{"retention.ms", ConfigOp::Delete, std::nullopt}}, false).error,
            ErrorCode::None);
  EXPECT_FALSE(controller_->image()->topic("cfg")->configs.count("retention.ms"));
  EXPECT_EQ(controller_->alter_topic_configs("cfg", {{"retention.ms", ConfigOp::Append, "1"}}, false).error,
            ErrorCode::InvalidConfig);
  ASSERT_EQ(controller_->replace_topic_configs("cfg", {{"segment.bytes", "1048576"}}, false).error, ErrorCode::None);
  reopen();
  const auto& configs = controller_->image()->topic("cfg")->configs;
  EXPECT_EQ(configs.size(), 1u);
  EXPECT_EQ(configs.at("segment.bytes"), "1048576");
}

TEST_F(ControllerTest, BrokerConfigsLayerAndSurviveReopen) {
  const auto& topic_retention = *find_topic_config("retention.ms");
  ASSERT_EQ(controller_->alter_broker_configs("", {{"log.retention.ms", ConfigOp::Set, "3600000"},
                                                   {"message.max.bytes", ConfigOp::Set, "2000"}}, false).error,
            ErrorCode::None);
  EXPECT_EQ(config_.get("message.max.bytes"), "2000");
  EXPECT_EQ(effective_topic_config(topic_retention, {}, config_).value, "3600000");
  EXPECT_EQ(effective_topic_config(topic_retention, {}, config_).source, ConfigSource::DynamicDefaultBroker);
  // The per-broker value wins over the cluster default.
  ASSERT_EQ(controller_->replace_broker_configs("1", {{"log.retention.ms", "60000"}}, false).error, ErrorCode::None);
  EXPECT_EQ(config_.lookup("log.retention.ms").value, "60000");
  EXPECT_EQ(config_.lookup("log.retention.ms").source, ConfigSource::DynamicBroker);
  EXPECT_EQ(published_->broker_configs("1").at("log.retention.ms"), "60000");

  config_.set_dynamic({});
  reopen();
  EXPECT_EQ(config_.lookup("log.retention.ms").value, "60000");
  EXPECT_EQ(config_.lookup("message.max.bytes").source, ConfigSource::DynamicDefaultBroker);

  ASSERT_EQ(controller_->alter_broker_configs("1", {{"log.retention.ms", ConfigOp::Delete, std::nullopt}}, false).error,
            ErrorCode::None);
  EXPECT_EQ(config_.lookup("log.retention.ms").source, ConfigSource::DynamicDefaultBroker);
  // AlterConfigs replaces the whole set: message.max.bytes goes.
  ASSERT_EQ(controller_->replace_broker_configs("", {{"log.retention.ms", "7200000"}}, false).error, ErrorCode::None);
  EXPECT_EQ(config_.lookup("message.max.bytes").source, ConfigSource::Default);
  EXPECT_EQ(config_.get("log.retention.ms"), "7200000");
}

TEST_F(ControllerTest, BrokerConfigChangesRefusedAsKafkaRefusesThem) {
  auto refused = [&](const std::string& resource, std::vector<ConfigChange> changes) {
    return controller_->alter_broker_configs(resource, changes, false);
  };
  auto r = refused("", {{"num.partitions", ConfigOp::Set, "3"}});
  EXPECT_EQ(r.error, ErrorCode::InvalidRequest);
  EXPECT_EQ(r.message, "Cannot update these configs dynamically: Set(num.partitions)");
  r = refused("", {{"no.such.key", ConfigOp::Set, "3"}});
  EXPECT_EQ(r.error, ErrorCode::InvalidRequest);
  EXPECT_EQ(r.message, "Unknown Dynamic Configuration: Set(no.such.key).");
  r = refused("", {{"log.retention.ms", ConfigOp::Set, "soon"}});
  EXPECT_EQ(r.error, ErrorCode::InvalidRequest);
  EXPECT_EQ(r.message, "Invalid value soon for configuration log.retention.ms: Not a number of type LONG");
  r = refused("one", {{"log.retention.ms", ConfigOp::Set, "1"}});
  EXPECT_EQ(r.message, "Node id must be an integer, but it is: one");
  r = refused("", {{"log.retention.ms", ConfigOp::Append, "1"}});
  EXPECT_EQ(r.error, ErrorCode::InvalidConfig);
  EXPECT_EQ(r.message, "Config value append is not allowed for config key: log.retention.ms");
  EXPECT_EQ(refused("", {{"log.cleanup.policy", ConfigOp::Append, "compact"}}).error, ErrorCode::None);
  EXPECT_EQ(config_.get("log.cleanup.policy"), "delete,compact");

  ASSERT_EQ(controller_->replace_broker_configs("", {{"compression.type", "zstd"}}, true).error, ErrorCode::None);
  EXPECT_EQ(config_.lookup("compression.type").source, ConfigSource::Default);
  EXPECT_FALSE(controller_->image()->broker_configs("").count("compression.type"));
}

}  // namespace
}  // namespace freshet::cluster

namespace freshet::cluster {
namespace placement_test {

TEST(ReplicaPlacement, BrokersAlternateRacksLikeKafkas) {
  // Racks a: 1, 2; b: 3, 4; c: 5; and one broker without a rack.
  std::vector<PlacementBroker> brokers{{4, "b"}, {1, "a"}, {5, "c"}, {2, "a"}, {3, "b"}, {6, std::nullopt}};
  EXPECT_EQ(rack_alternated(brokers), (std::vector<int32_t>{6, 1, 3, 5, 2, 4}));
  // Without racks: by id.
  EXPECT_EQ(rack_alternated({{3, std::nullopt}, {1, std::nullopt}, {2, std::nullopt}}), (std::vector<int32_t>{1, 2, 3}));
}

}  // namespace placement_test
}  // namespace freshet::cluster
