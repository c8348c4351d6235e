#include <gtest/gtest.h>

#include <limits>

#include "cluster/broker_config.h"
#include "cluster/topic_config.h"

namespace freshet::cluster {
namespace {

TEST(BrokerConfig, EmbeddedDefaultsAreASingleLocalNode) {
  auto config = BrokerConfig::load(std::nullopt, {}, nullptr);
  EXPECT_EQ(config.node_id(), 1);
  ASSERT_EQ(config.listeners().size(), 1u);
  EXPECT_EQ(config.listeners()[0].host, "127.0.0.1");
  EXPECT_EQ(config.listeners()[0].port, 9092);
  EXPECT_EQ(config.log_dirs(), std::vector<std::string>{"./freshet-data"});
  EXPECT_EQ(config.get_int("num.partitions"), 1);
  EXPECT_TRUE(config.get_bool("auto.create.topics.enable"));
  EXPECT_EQ(config.get("log.retention.ms"), "604800000");
}

TEST(BrokerConfig, OverridesWinAndUnknownKeysAreReported) {
  std::vector<std::string> unknown;
  auto config = BrokerConfig::load(std::nullopt, {"num.partitions=3", "no.such.key=1", "log.dirs=/a,/b"}, &unknown);
  EXPECT_EQ(config.get_int("num.partitions"), 3);
  EXPECT_EQ(unknown, std::vector<std::string>{"no.such.key"});
  EXPECT_EQ(config.log_dirs(), (std::vector<std::string>{"/a", "/b"}));
}

TEST(BrokerConfig, CoarseRetentionKeysFeedMilliseconds) {
  auto config = BrokerConfig::load(std::nullopt, {"log.retention.hours=1", "log.roll.hours=2"}, nullptr);
  EXPECT_EQ(config.get_int("log.retention.ms"), 3600000);
  EXPECT_EQ(config.get_int("log.roll.ms"), 7200000);
}

TEST(BrokerConfig, InvalidValuesAreRefusedWithTheKeyName) {
  try {
    BrokerConfig::load(std::nullopt, {"num.partitions=many"}, nullptr);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("num.partitions"), std::string::npos) << e.what();
  }
  EXPECT_THROW(BrokerConfig::load(std::nullopt, {"novalue"}, nullptr), std::runtime_error);
  EXPECT_THROW(BrokerConfig::load(std::nullopt, {"listeners=nonsense"}, nullptr), std::runtime_error);
}

TEST(BrokerConfig, KafkasOwnDefaultsAreValidValues) {
  // Double.MAX_VALUE, Kafka's default of log.cleaner.io.max.bytes.per.second, set explicitly.
  auto config = BrokerConfig::load(std::nullopt, {"log.cleaner.io.max.bytes.per.second=1.7976931348623157E308"},
                                   nullptr);
  EXPECT_EQ(config.get_double("log.cleaner.io.max.bytes.per.second"), std::numeric_limits<double>::max());
  for (const auto& key : BrokerConfig::known_keys()) {
    if (!*key.default_value) continue;
    EXPECT_NO_THROW(BrokerConfig::load(std::nullopt, {std::string(key.name) + "=" + key.default_value}, nullptr))
        << key.name << "=" << key.default_value;
  }
}

TEST(BrokerConfig, ParsesJavaPropertiesSubset) {
  auto props = BrokerConfig::parse_properties("# comment\n! also\nnode.id = 7\nlisteners:PLAINTEXT://:9093\n\n");
  EXPECT_EQ(props.at("node.id"), "7");
  EXPECT_EQ(props.at("listeners"), "PLAINTEXT://:9093");
  EXPECT_THROW(BrokerConfig::parse_properties("just words"), std::runtime_error);
}

TEST(BrokerConfig, AdvertisedListenersDefaultToListenersWithAReachableHost) {
  auto config = BrokerConfig::load(std::nullopt, {"listeners=PLAINTEXT://0.0.0.0:9095"}, nullptr);
  ASSERT_EQ(config.advertised_listeners().size(), 1u);
  EXPECT_EQ(config.advertised_listeners()[0].host, "127.0.0.1");
  EXPECT_EQ(config.advertised_listeners()[0].port, 9095);
}

TEST(TopicConfig, ValidationFollowsKafka) {
  EXPECT_FALSE(validate_topic_configs({{"retention.ms", "1000"}, {"cleanup.policy", "compact,delete"}}));
  EXPECT_TRUE(validate_topic_configs({{"retention.ms", "soon"}}));
  EXPECT_TRUE(validate_topic_configs({{"cleanup.policy", "sometimes"}}));
  EXPECT_TRUE(validate_topic_configs({{"min.insync.replicas", "0"}}));
  EXPECT_TRUE(validate_topic_configs({{"no.such.config", "1"}}));
  EXPECT_TRUE(validate_topic_configs({{"compression.type", "brotli"}}));
  EXPECT_FALSE(validate_topic_configs({{"compression.type", "zstd"}, {"message.timestamp.type", "LogAppendTime"}}));
}

TEST(TopicConfig, EffectiveValuePrefersTopicThenBrokerThenDefault) {
  auto broker = BrokerConfig::load(std::nullopt, {"log.segment.bytes=2048"}, nullptr);
  const TopicConfigDef& segment = *find_topic_config("segment.bytes");
  EXPECT_EQ(effective_topic_config(segment, {}, broker).value, "2048");
  EXPECT_EQ(effective_topic_config(segment, {}, broker).source, ConfigSource::StaticBroker);
  EXPECT_EQ(effective_topic_config(segment, {{"segment.bytes", "4096"}}, broker).source, ConfigSource::DynamicTopic);
  const TopicConfigDef& retention = *find_topic_config("retention.bytes");
  EXPECT_EQ(effective_topic_config(retention, {}, broker).value, "-1");
  EXPECT_EQ(effective_topic_config(retention, {}, broker).source, ConfigSource::Default);
}

}  // namespace
}  // namespace freshet::cluster
