// freshet topic producers TOPIC [--partition P ...]
// (kafka-transactions.sh describe-producers): each partition's active
// idempotent and transactional producers, asked of the partition's leader.
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <algorithm>
#include <cstdio>
#include <tuple>
#include <map>
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

struct ProducersOptions {
  ConnectionOptions connection;
  std::string topic;
  std::vector<int32_t> partitions;  // empty: all
  OutputFormat format = OutputFormat::kText;
};

// The topic's partitions grouped by the "host:port" of their leader.
std::map<std::string, std::vector<int32_t>> partitions_by_leader(ProtocolConnection& bootstrap,
                                                                 const ProducersOptions& options) {
  protocol::MetadataRequest request;
  protocol::MetadataRequest::MetadataRequestTopic topic;
  topic.name = options.topic;
  request.topics = std::vector{topic};
  request.allow_auto_topic_creation = false;
  auto metadata = bootstrap.call<protocol::MetadataResponse>(request);
  std::map<int32_t, std::string> brokers;
  for (const auto& b : metadata.brokers) brokers[b.node_id] = fmt::format("{}:{}", b.host, b.port);
  if (metadata.topics.size() != 1 || metadata.topics.front().error_code != 0) {
    int16_t code = metadata.topics.empty() ? 3 : metadata.topics.front().error_code;
    throw CommandError(fmt::format("topic '{}' cannot be described ({})", options.topic, protocol_error_name(code)));
  }
  std::map<std::string, std::vector<int32_t>> out;
  for (const auto& p : metadata.topics.front().partitions) {
    if (!options.partitions.empty() &&
        std::find(options.partitions.begin(), options.partitions.end(), p.partition_index) == options.partitions.end())
      continue;
    auto leader = brokers.find(p.leader_id);
    if (leader == brokers.end())
      throw CommandError(fmt::format("{}-{} has no leader (LEADER_NOT_AVAILABLE)", options.topic, p.partition_index));
    out[leader->second].push_back(p.partition_index);
  }
  return out;
}

void producers(const ProducersOptions& options) {
  ProtocolConnection bootstrap(options.connection.brokers);
  struct Row {
    int32_t partition;
    protocol::DescribeProducersResponse::ProducerState producer;
  };
  std::vector<Row> rows;
  for (const auto& [leader, partitions] : partitions_by_leader(bootstrap, options)) {
    ProtocolConnection broker(leader);
    protocol::DescribeProducersRequest request;
    request.topics.push_back({options.topic, partitions});
    auto response = broker.call<protocol::DescribeProducersResponse>(request);
    for (const auto& topic : response.topics) {
      for (const auto& p : topic.partitions) {
        if (p.error_code != 0)
          throw CommandError(fmt::format("{}-{}: {} ({})", options.topic, p.partition_index,
                                         p.error_message.value_or("cannot describe its producers"),
                                         protocol_error_name(p.error_code)));
        for (const auto& producer : p.active_producers) rows.push_back({p.partition_index, producer});
      }
    }
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return std::tie(a.partition, a.producer.producer_id) < std::tie(b.partition, b.producer.producer_id);
  });
  if (options.format == OutputFormat::kJson) {
    JsonWriter json;
    json.begin_array();
    for (const Row& row : rows) {
      json.begin_object()
          .key("partition").number(row.partition)
          .key("producer_id").number(row.producer.producer_id)
          .key("producer_epoch").number(row.producer.producer_epoch)
          .key("coordinator_epoch").number(row.producer.coordinator_epoch)
          .key("last_sequence").number(row.producer.last_sequence)
          .key("last_timestamp").number(row.producer.last_timestamp)
          .key("current_transaction_start_offset").number(row.producer.current_txn_start_offset)
          .end_object();
    }
    json.end_array();
    std::fputs((json.text() + "\n").c_str(), stdout);
    return;
  }
  Table table({"PARTITION", "PRODUCER-ID", "EPOCH", "COORDINATOR-EPOCH", "LAST-SEQUENCE", "LAST-TIMESTAMP",
               "TXN-START-OFFSET"});
  for (const Row& row : rows) {
    const auto& p = row.producer;
    table.add_row({std::to_string(row.partition), std::to_string(p.producer_id), std::to_string(p.producer_epoch),
                   std::to_string(p.coordinator_epoch), std::to_string(p.last_sequence),
                   std::to_string(p.last_timestamp),
                   p.current_txn_start_offset < 0 ? "-" : std::to_string(p.current_txn_start_offset)});
  }
  std::fputs(table.render().c_str(), stdout);
}

}  // namespace

void add_topic_producers_command(CLI::App& topic_app) {
  auto options = std::make_shared<ProducersOptions>();
  CLI::App* command = topic_app.add_subcommand("producers", "Show the active idempotent/transactional producers of a topic");
  command->add_option("topic", options->topic, "Topic")->required();
  command->add_option("-p,--partition", options->partitions, "Only these partitions (repeatable or comma-separated)")
      ->delimiter(',');
  add_output_format_option(*command, options->format);
  add_connection_options(*command, options->connection);
  command->callback([options] { run_reporting_errors([&] { producers(*options); }); });
}

}  // namespace freshet::cli
