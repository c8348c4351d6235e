#include <gtest/gtest.h>

#include "cluster/broker_config.h"
#include "cluster/dynamic_broker_config.h"

namespace freshet::cluster {
namespace {

TEST(DynamicBrokerConfig, OnlyTopicDefaultsAreDynamic) {
  for (const char* key : {"log.retention.ms", "log.retention.bytes", "log.segment.bytes", "log.roll.ms", "log.cleanup.policy",
                          "compression.type", "message.max.bytes", "min.insync.replicas", "log.message.timestamp.type",
                          "log.index.interval.bytes"})
    EXPECT_TRUE(is_dynamic_broker_config(key)) << key;
  for (const char* key : {"num.partitions", "log.retention.hours", "listeners", "node.id", "num.io.threads", "nope"})
    EXPECT_FALSE(is_dynamic_broker_config(key)) << key;
}

TEST(DynamicBrokerConfig, SynonymsFollowKafka) {
  EXPECT_EQ(broker_config_synonyms("log.retention.hours"),
            (std::vector<std::string>{"log.retention.ms", "log.retention.minutes", "log.retention.hours"}));
  EXPECT_EQ(broker_config_synonyms("log.roll.ms"), (std::vector<std::string>{"log.roll.ms", "log.roll.hours"}));
  EXPECT_EQ(broker_config_synonyms("message.max.bytes"), (std::vector<std::string>{"message.max.bytes"}));
}

TEST(DynamicBrokerConfig, ValidationReportsReadOnlyThenUnknownThenValues) {
  EXPECT_FALSE(invalid_dynamic_broker_configs({{"log.retention.ms", "1000"}, {"compression.type", "lz4"}}));
  EXPECT_EQ(invalid_dynamic_broker_configs({{"num.partitions", "2"}, {"zzz", "1"}}),
            "Cannot update these configs dynamically: Set(num.partitions)");
  EXPECT_EQ(invalid_dynamic_broker_configs({{"zzz", "1"}, {"log.retention.ms", "x"}}), "Unknown Dynamic Configuration: Set(zzz).");
  EXPECT_EQ(invalid_dynamic_broker_configs({{"min.insync.replicas", "0"}}),
            "Invalid value 0 for configuration min.insync.replicas: Value must be at least 1");
  EXPECT_EQ(applicable_dynamic_broker_configs({{"num.partitions", "2"}, {"message.max.bytes", "x"}, {"log.retention.ms", "5"}}),
            (ConfigMap{{"log.retention.ms", "5"}}));
}

TEST(DynamicBrokerConfig, LayersResolveInKafkasOrder) {
  auto config = BrokerConfig::load(std::nullopt, {"log.retention.ms=1000", "log.segment.bytes=2048"}, nullptr);
  EXPECT_EQ(config.lookup("log.retention.ms").source, ConfigSource::StaticBroker);
  config.set_dynamic({{{"log.retention.ms", "2000"}, {"message.max.bytes", "500"}}, {{"log.retention.ms", "3000"}}});
  EXPECT_EQ(config.get("log.retention.ms"), "3000");
  EXPECT_EQ(config.lookup("log.retention.ms").source, ConfigSource::DynamicBroker);
  EXPECT_EQ(config.lookup("message.max.bytes").source, ConfigSource::DynamicDefaultBroker);
  EXPECT_EQ(config.lookup("log.segment.bytes").source, ConfigSource::StaticBroker);
  EXPECT_EQ(config.lookup("log.roll.ms").source, ConfigSource::Default);

  auto synonyms = config.synonyms("log.retention.ms", true);
  ASSERT_GE(synonyms.size(), 4u);
  EXPECT_EQ(synonyms[0].source, ConfigSource::DynamicBroker);
  EXPECT_EQ(synonyms[0].value, "3000");
  EXPECT_EQ(synonyms[1].source, ConfigSource::DynamicDefaultBroker);
  EXPECT_EQ(synonyms[2].source, ConfigSource::StaticBroker);
  EXPECT_EQ(synonyms[2].value, "1000");
  EXPECT_EQ(synonyms[3].source, ConfigSource::Default);
  auto cluster_level = config.synonyms("log.retention.ms", false);
  ASSERT_EQ(cluster_level.size(), 1u);
  EXPECT_EQ(cluster_level[0].source, ConfigSource::DynamicDefaultBroker);

  const auto& max_message = *find_topic_config("max.message.bytes");
  EXPECT_EQ(effective_topic_config(max_message, {}, config).value, "500");
  EXPECT_EQ(effective_topic_config(max_message, {}, config).source, ConfigSource::DynamicDefaultBroker);
  EXPECT_EQ(effective_topic_config(max_message, {{"max.message.bytes", "9"}}, config).source, ConfigSource::DynamicTopic);
  auto topic_synonyms = topic_config_synonyms(max_message, {{"max.message.bytes", "9"}}, config);
  ASSERT_EQ(topic_synonyms.size(), 3u);
  EXPECT_EQ(topic_synonyms[0].name, "max.message.bytes");
  EXPECT_EQ(topic_synonyms[1].name, "message.max.bytes");
  EXPECT_EQ(topic_synonyms[1].source, ConfigSource::DynamicDefaultBroker);
  EXPECT_EQ(topic_synonyms[2].source, ConfigSource::Default);

  BrokerConfig copy = config;
  EXPECT_EQ(copy.get("log.retention.ms"), "3000");
  config.set_dynamic({});
  EXPECT_EQ(config.get("log.retention.ms"), "1000");
  EXPECT_EQ(copy.get("log.retention.ms"), "3000");
}

}  // namespace
}  // namespace freshet::cluster
