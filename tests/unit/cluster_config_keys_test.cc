// Every configuration key Freshet declares does something: it has a reader in
// src/ besides its declaration, or it is listed as inert (with the reason the
// broker logs when it is set). A new key without either fails here. Also: the
// start-up refusals of settings this node cannot honour.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "cluster/broker_config.h"
#include "cluster/inert_configs.h"
#include "cluster/topic_config.h"

namespace freshet::cluster {
namespace {

// Every source file under src/, read once.
const std::string& all_sources() {
  static const std::string text = [] {
    std::string out;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(FRESHET_SOURCE_DIR "/src")) {
      auto ext = entry.path().extension();
      if (ext != ".cc" && ext != ".h") continue;
      std::ifstream file(entry.path());
      std::stringstream buffer;
      buffer << file.rdbuf();
      out += buffer.str();
    }
    return out;
  }();
  return text;
}

size_t mentions(const std::string& key) {
  const std::string quoted = "\"" + key + "\"";
  size_t count = 0;
  for (size_t at = all_sources().find(quoted); at != std::string::npos; at = all_sources().find(quoted, at + 1)) ++count;
  return count;
}

TEST(ConfigKeys, EveryDeclaredBrokerKeyIsReadOrDeclaredInert) {
  for (const auto& def : BrokerConfig::known_keys()) {
    std::string key = def.name;
    const TopicConfigDef* topic = nullptr;
    for (const auto& t : topic_config_defs())
      if (t.broker_key && key == t.broker_key) topic = &t;
    if (topic) continue;  // a topic key's broker synonym: checked with the topic key
    EXPECT_TRUE(mentions(key) >= 2 || inert_config_reason(key)) << key << " is declared but never read";
  }
}

TEST(ConfigKeys, EveryDeclaredTopicKeyIsReadOrDeclaredInert) {
  for (const auto& t : topic_config_defs()) {
    std::string key = t.def.name;
    EXPECT_TRUE(mentions(key) >= 2 || inert_config_reason(key)) << key << " is declared but never read";
  }
}

TEST(ConfigKeys, InertSettingsAreReported) {
  auto config = BrokerConfig::load(
      std::nullopt, {"num.io.threads=8", "log.retention.ms=1000", "num.network.threads=5", "num.partitions=2"},
      nullptr);
  auto notes = config.inert_settings();
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_EQ(notes[0].rfind("num.io.threads=8 has no effect: ", 0), 0u) << notes[0];
  EXPECT_EQ(notes[1].rfind("num.network.threads=5 has no effect: ", 0), 0u) << notes[1];
}

TEST(ConfigKeys, SettingsThisNodeCannotHonourAreRefused) {
  for (const char* setting : {"process.roles=broker", "controller.quorum.voters=1@localhost:9093,2@localhost:9094",
                              "controller.quorum.voters=2@localhost:9093", "controller.quorum.voters=1@localhost",
                              "controller.quorum.voters=1@localhost:9093,1@localhost:9094",
                              "controller.quorum.bootstrap.servers=localhost:9093",
                              "listener.security.protocol.map=PLAINTEXT:SSL"}) {
    EXPECT_THROW(BrokerConfig::load(std::nullopt, {setting}, nullptr), std::runtime_error) << setting;
  }
  EXPECT_THROW(BrokerConfig::load(std::nullopt, {"listeners=INTERNAL://127.0.0.1:9092"}, nullptr), std::runtime_error)
      << "a listener name without a security protocol";
  EXPECT_NO_THROW(BrokerConfig::load(std::nullopt,
                                     {"controller.quorum.voters=1@localhost:9093",
                                      "listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093",
                                      "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"},
                                     nullptr))
      << "Kafka's stock single-node KRaft settings";
  auto three = BrokerConfig::load(std::nullopt,
                                  {"node.id=2", "controller.quorum.voters=1@127.0.0.1:9093,2@127.0.0.1:9095,3@[::1]:9097",
                                   "listeners=PLAINTEXT://127.0.0.1:9094,CONTROLLER://127.0.0.1:9095",
                                   "controller.listener.names=CONTROLLER",
                                   "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"},
                                  nullptr);
  auto voters = three.quorum_voters();
  ASSERT_EQ(voters.size(), 3u);
  EXPECT_EQ(voters[1].id, 2);
  EXPECT_EQ(voters[1].port, 9095);
  EXPECT_EQ(voters[2].host, "::1");
  // Clients are never pointed at the controller listener.
  ASSERT_EQ(three.advertised_listeners().size(), 1u);
  EXPECT_EQ(three.advertised_listeners()[0].name, "PLAINTEXT");
  EXPECT_THROW(BrokerConfig::load(std::nullopt, {"queued.max.request.bytes=1000"}, nullptr), std::runtime_error);
}

}  // namespace
}  // namespace freshet::cluster

namespace freshet::cluster {
namespace roles_test {

TEST(ConfigKeys, SeparateRolesAreCheckedAsKafkaChecksThem) {
  const std::string voters = "controller.quorum.voters=1@127.0.0.1:9093,2@127.0.0.1:9095,3@127.0.0.1:9097";
  const std::vector<std::string> broker{"process.roles=broker", "node.id=4", voters,
                                        "listeners=PLAINTEXT://127.0.0.1:9092", "controller.listener.names=CONTROLLER"};
  auto config = BrokerConfig::load(std::nullopt, broker, nullptr);
  EXPECT_TRUE(config.is_broker());
  EXPECT_FALSE(config.is_controller());
  const std::vector<std::string> controller{"process.roles=controller", "node.id=2", voters,
                                            "listeners=CONTROLLER://127.0.0.1:9095", "controller.listener.names=CONTROLLER",
                                            "listener.security.protocol.map=CONTROLLER:PLAINTEXT"};
  config = BrokerConfig::load(std::nullopt, controller, nullptr);
  EXPECT_FALSE(config.is_broker());
  EXPECT_TRUE(config.is_controller());

  auto refused = [](std::vector<std::string> settings, const std::string& key_value) {
    settings.push_back(key_value);
    EXPECT_THROW(BrokerConfig::load(std::nullopt, settings, nullptr), std::runtime_error) << key_value;
  };
  refused(broker, "node.id=2");                                              // a broker among the voters
  refused(broker, "controller.listener.names=");                            // Kafka requires it
  refused(broker, "listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9099");  // a broker does not vote
  refused(controller, "node.id=5");                                         // a controller outside the voters
  refused(controller, "listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9095");  // clients' listener
}

}  // namespace roles_test
}  // namespace freshet::cluster
