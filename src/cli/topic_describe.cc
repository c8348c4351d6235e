// freshet topic describe NAME [--format text|json]: summary, configs and
// partitions (leader, replicas, ISR, log start offset, high watermark, and
// bytes on disk as DescribeLogDirs of the bootstrap broker reports them).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <map>
#include <memory>
#include <vector>

#include "cli/admin.h"
#include "cli/client.h"
#include "cli/errors.h"
#include "cli/json_writer.h"
#include "cli/metadata.h"
#include "cli/output_format.h"
#include "cli/protocol_client.h"
#include "cli/subcommands.h"
#include "cli/table.h"

namespace freshet::cli {
namespace {

struct DescribeOptions {
  ConnectionOptions connection;
  std::string topic;
  OutputFormat format = OutputFormat::kText;
};

struct PartitionState {
  PartitionInfo metadata;
  Watermarks watermarks;
  int64_t size_bytes = -1;  // -1: not reported

  // The partition's first error (metadata, then watermarks), or NO_ERROR.
  rd_kafka_resp_err_t error() const {
    return metadata.error != RD_KAFKA_RESP_ERR_NO_ERROR ? metadata.error : watermarks.error;
  }
};

struct TopicDescription {
  TopicInfo metadata;
  std::vector<ConfigEntry> configs;
  std::vector<PartitionState> partitions;
};

// Bytes of each partition's log, summed over the log dirs of the broker at
// `brokers` (a partition lives in one log dir of a broker).
std::map<int32_t, int64_t> partition_sizes(const std::string& brokers, const std::string& topic,
                                           const std::vector<int32_t>& partitions) {
  ProtocolConnection connection(brokers);
  protocol::DescribeLogDirsRequest request;
  request.topics = std::vector<protocol::DescribeLogDirsRequest::DescribableLogDirTopic>{{topic, partitions}};
  auto response = connection.call<protocol::DescribeLogDirsResponse>(request);
  std::map<int32_t, int64_t> sizes;
  for (const auto& dir : response.results) {
    for (const auto& t : dir.topics) {
      if (t.name != topic) continue;
      for (const auto& p : t.partitions) sizes[p.partition_index] += p.partition_size;
    }
  }
  return sizes;
}

TopicDescription gather(Client& client, const std::string& brokers, const std::string& topic) {
  TopicDescription description;
  description.metadata = describe_topic(client, topic);
  description.configs = describe_topic_configs(client, topic);
  for (const PartitionInfo& partition : description.metadata.partitions) {
    Watermarks marks;
    if (partition.error != RD_KAFKA_RESP_ERR_NO_ERROR) {
      marks.error = partition.error;
    } else if (partition.leader < 0) {
      marks.error = RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE;
    } else {
      marks = query_watermarks(client, topic, partition.id);
    }
    description.partitions.push_back(PartitionState{partition, marks});
  }
  std::vector<int32_t> ids;
  for (const PartitionState& p : description.partitions) ids.push_back(p.metadata.id);
  const auto sizes = partition_sizes(brokers, topic, ids);
  for (PartitionState& p : description.partitions)
    if (auto it = sizes.find(p.metadata.id); it != sizes.end()) p.size_bytes = it->second;
  return description;
}

std::string config_value_text(const ConfigEntry& entry) {
  if (entry.value) return *entry.value;
  return entry.sensitive ? "(sensitive)" : "-";
}

std::string render_text(const TopicDescription& d) {
  Table summary = Table::headless(2);
  summary.add_row({"NAME", d.metadata.name});
  summary.add_row({"PARTITIONS", std::to_string(d.metadata.partitions.size())});
  summary.add_row({"REPLICAS", std::to_string(d.metadata.replication_factor())});

  Table configs({"KEY", "VALUE", "SOURCE"});
  for (const ConfigEntry& entry : d.configs) {
    configs.add_row({entry.name, config_value_text(entry), rd_kafka_ConfigSource_name(entry.source)});
  }

  bool any_error = false;
  for (const PartitionState& p : d.partitions) any_error |= p.error() != RD_KAFKA_RESP_ERR_NO_ERROR;
  std::vector<std::string> headers{"PARTITION", "LEADER", "REPLICAS", "ISR", "LOG-START-OFFSET",
                                   "HIGH-WATERMARK", "SIZE-BYTES"};
  if (any_error) headers.push_back("ERROR");
  Table partitions(headers);
  for (const PartitionState& p : d.partitions) {
    const bool marks_known = p.watermarks.error == RD_KAFKA_RESP_ERR_NO_ERROR;
    std::vector<std::string> row{
        std::to_string(p.metadata.id), std::to_string(p.metadata.leader),
        format_id_list(p.metadata.replicas), format_id_list(p.metadata.isr),
        marks_known ? std::to_string(p.watermarks.log_start_offset) : "-",
        marks_known ? std::to_string(p.watermarks.high_watermark) : "-",
        p.size_bytes >= 0 ? std::to_string(p.size_bytes) : "-"};
    if (any_error) {
      row.push_back(p.error() == RD_KAFKA_RESP_ERR_NO_ERROR ? "" : kafka_error_name(p.error()));
    }
    partitions.add_row(std::move(row));
  }
  return section_title("SUMMARY") + summary.render() + "\n" + section_title("CONFIGS") +
         configs.render() + "\n" + section_title("PARTITIONS") + partitions.render();
}

void write_id_list(JsonWriter& json, const std::vector<int32_t>& ids) {
  json.begin_array();
  for (int32_t id : ids) json.number(id);
  json.end_array();
}

std::string render_json(const TopicDescription& d) {
  JsonWriter json;
  json.begin_object();
  json.key("summary").begin_object()
      .key("name").string(d.metadata.name)
      .key("partitions").number(static_cast<int64_t>(d.metadata.partitions.size()))
      .key("replicas").number(static_cast<int64_t>(d.metadata.replication_factor()))
      .end_object();
  json.key("configs").begin_array();
  for (const ConfigEntry& entry : d.configs) {
    json.begin_object().key("name").string(entry.name).key("value");
    if (entry.value) {
      json.string(*entry.value);
    } else {
      json.null();
    }
    json.key("source").string(rd_kafka_ConfigSource_name(entry.source))
        .key("read_only").boolean(entry.read_only)
        .key("sensitive").boolean(entry.sensitive)
        .end_object();
  }
  json.end_array();
  json.key("partitions").begin_array();
  for (const PartitionState& p : d.partitions) {
    json.begin_object()
        .key("partition").number(p.metadata.id)
        .key("leader").number(p.metadata.leader)
        .key("replicas");
    write_id_list(json, p.metadata.replicas);
    json.key("isr");
    write_id_list(json, p.metadata.isr);
    json.key("log_start_offset").number(p.watermarks.log_start_offset)
        .key("high_watermark").number(p.watermarks.high_watermark)
        .key("size_bytes").number(p.size_bytes)
        .key("error");
    if (p.error() == RD_KAFKA_RESP_ERR_NO_ERROR) {
      json.null();
    } else {
      json.string(kafka_error_name(p.error()));
    }
    json.end_object();
  }
  json.end_array();
  json.end_object();
  return json.text() + "\n";
}

void describe(const DescribeOptions& options) {
  AdminClient client(options.connection);
  const TopicDescription description = gather(client, options.connection.brokers, options.topic);
  const std::string out = options.format == OutputFormat::kJson ? render_json(description)
                                                                : render_text(description);
  std::fputs(out.c_str(), stdout);
}

}  // namespace

void add_topic_describe_command(CLI::App& topic_app) {
  auto options = std::make_shared<DescribeOptions>();
  CLI::App* command = topic_app.add_subcommand(
      "describe", "Show a topic's partitions, configs, replicas and offsets");
  command->alias("info");
  command->add_option("topic", options->topic, "Name of the topic")->required();
  add_output_format_option(*command, options->format);
  add_connection_options(*command, options->connection);
  command->callback([options] { run_reporting_errors([&] { describe(*options); }); });
}

}  // namespace freshet::cli
