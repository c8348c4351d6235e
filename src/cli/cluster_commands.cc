// freshet cluster quorum   (kafka-metadata-quorum.sh describe --status / --replication)
// freshet cluster brokers  (the live brokers and the active controller: DescribeCluster)
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <chrono>
#include <cstdio>
#include <memory>

#include "cli/connection_options.h"
#include "cli/errors.h"
#include "cli/json_writer.h"
#include "cli/output_format.h"
#include "cli/protocol_client.h"
#include "cli/subcommands.h"
#include "cli/table.h"

namespace freshet::cli {
namespace {

constexpr const char* kMetadataTopic = "__cluster_metadata";

struct ClusterOptions {
  ConnectionOptions connection;
  OutputFormat format = OutputFormat::kText;
};

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string ago(int64_t timestamp_ms) {
  return timestamp_ms < 0 ? "-" : fmt::format("{} ms ago", std::max<int64_t>(0, now_ms() - timestamp_ms));
}

void describe_quorum(const ClusterOptions& options) {
  ProtocolConnection broker(options.connection.brokers);
  protocol::DescribeQuorumRequest request;
  protocol::DescribeQuorumRequest::TopicData topic;
  topic.topic_name = kMetadataTopic;
  topic.partitions.push_back({});
  request.topics.push_back(topic);
  auto response = broker.call<protocol::DescribeQuorumResponse>(request);
  if (response.error_code != 0)
    throw CommandError(fmt::format("describing the quorum failed ({})", protocol_error_name(response.error_code)));
  if (response.topics.empty() || response.topics[0].partitions.empty())
    throw CommandError("the broker answered without the metadata partition");
  const auto& p = response.topics[0].partitions[0];
  if (p.error_code != 0)
    throw CommandError(fmt::format("describing the quorum failed ({}); leader {} in epoch {}",
                                   protocol_error_name(p.error_code), p.leader_id, p.leader_epoch));
  if (options.format == OutputFormat::kJson) {
    JsonWriter json;
    json.begin_object().key("leader").number(p.leader_id).key("epoch").number(p.leader_epoch);
    auto replica = [&](const auto& r) {
      json.begin_object()
          .key("id").number(r.replica_id)
          .key("log_end_offset").number(r.log_end_offset)
          .key("lag").number(p.high_watermark - r.log_end_offset)
          .key("last_fetch_timestamp").number(r.last_fetch_timestamp)
          .key("last_caught_up_timestamp").number(r.last_caught_up_timestamp)
          .end_object();
    };
    json.key("high_watermark").number(p.high_watermark).key("voters").begin_array();
    for (const auto& v : p.current_voters) replica(v);
    json.end_array().key("observers").begin_array();
    for (const auto& o : p.observers) replica(o);
    json.end_array().end_object();
    std::fputs((json.text() + "\n").c_str(), stdout);
    return;
  }
  std::fputs(fmt::format("leader {} in epoch {}, high watermark {}\n", p.leader_id, p.leader_epoch, p.high_watermark).c_str(),
             stdout);
  Table table({"NODE", "ROLE", "LOG-END-OFFSET", "LAG", "LAST-FETCH", "LAST-CAUGHT-UP"});
  auto add = [&](const auto& replica, const char* role) {
    table.add_row({std::to_string(replica.replica_id), replica.replica_id == p.leader_id ? "leader" : role,
                   std::to_string(replica.log_end_offset),
                   std::to_string(std::max<int64_t>(0, p.high_watermark - replica.log_end_offset)),
                   ago(replica.last_fetch_timestamp), ago(replica.last_caught_up_timestamp)});
  };
  for (const auto& v : p.current_voters) add(v, "follower");
  for (const auto& o : p.observers) add(o, "observer");
  std::fputs(table.render().c_str(), stdout);
}

void list_brokers(const ClusterOptions& options) {
  ProtocolConnection broker(options.connection.brokers);
  auto response = broker.call<protocol::DescribeClusterResponse>(protocol::DescribeClusterRequest{});
  if (response.error_code != 0)
    throw CommandError(fmt::format("describing the cluster failed ({})", protocol_error_name(response.error_code)));
  if (options.format == OutputFormat::kJson) {
    JsonWriter json;
    json.begin_object().key("cluster_id").string(response.cluster_id).key("controller").number(response.controller_id);
    json.key("brokers").begin_array();
    for (const auto& b : response.brokers) {
      json.begin_object().key("id").number(b.broker_id).key("host").string(b.host).key("port").number(b.port);
      if (b.rack) json.key("rack").string(*b.rack);
      json.end_object();
    }
    json.end_array().end_object();
    std::fputs((json.text() + "\n").c_str(), stdout);
    return;
  }
  std::fputs(fmt::format("cluster {}, active controller {}\n", response.cluster_id, response.controller_id).c_str(), stdout);
  Table table({"ID", "HOST", "PORT", "RACK"});
  for (const auto& b : response.brokers)
    table.add_row({std::to_string(b.broker_id), b.host, std::to_string(b.port), b.rack.value_or("-")});
  std::fputs(table.render().c_str(), stdout);
}

}  // namespace

void add_cluster_commands(CLI::App& app) {
  CLI::App* cluster = app.add_subcommand("cluster", "See the cluster: its metadata quorum and its brokers");
  cluster->require_subcommand(1);

  auto quorum_options = std::make_shared<ClusterOptions>();
  CLI::App* quorum = cluster->add_subcommand("quorum", "The metadata quorum: leader, epoch, high watermark, voters and their lag");
  add_output_format_option(*quorum, quorum_options->format);
  add_connection_options(*quorum, quorum_options->connection);
  quorum->callback([quorum_options] { run_reporting_errors([&] { describe_quorum(*quorum_options); }); });

  auto brokers_options = std::make_shared<ClusterOptions>();
  CLI::App* brokers = cluster->add_subcommand("brokers", "The live brokers and the active controller");
  add_output_format_option(*brokers, brokers_options->format);
  add_connection_options(*brokers, brokers_options->connection);
  brokers->callback([brokers_options] { run_reporting_errors([&] { list_brokers(*brokers_options); }); });
}

}  // namespace freshet::cli
