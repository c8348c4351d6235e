// freshet group describe GROUP... [--format text|json]: state, members and, per partition, the
// committed offset, log end offset and lag (like kafka-consumer-groups --describe).
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <cstdio>
#include <memory>

#include "cli/admin.h"
#include "cli/client.h"
#include "cli/errors.h"
#include "cli/group_errors.h"
#include "cli/group_lag.h"
#include "cli/json_writer.h"
#include "cli/metadata.h"
#include "cli/output_format.h"
#include "cli/subcommands.h"
#include "cli/table.h"

namespace freshet::cli {
namespace {

struct DescribeOptions {
  ConnectionOptions connection;
  std::vector<std::string> groups;
  OutputFormat format = OutputFormat::kText;
};

struct GroupReport {
  GroupDescription description;
  std::vector<PartitionLag> partitions;

  // The sum of the known lags.
  int64_t total_lag() const {
    int64_t total = 0;
    for (const PartitionLag& p : partitions) total += p.lag().value_or(0);
    return total;
  }
};

// The committed offsets and log end offsets of `description`'s group.
GroupReport gather(Client& client, GroupDescription description) {
  GroupReport report{std::move(description), {}};
  report.partitions = group_partitions(report.description.members,
                                       fetch_group_offsets(client, report.description.group));
  for (PartitionLag& p : report.partitions) {
    const Watermarks marks = query_watermarks(client, p.partition.topic, p.partition.partition);
    if (marks.error == RD_KAFKA_RESP_ERR_NO_ERROR) p.log_end_offset = marks.high_watermark;
  }
  return report;
}

std::string coordinator_text(const GroupDescription& d) {
  if (d.coordinator_id < 0) return "-";
  return fmt::format("{} ({}:{})", d.coordinator_id, d.coordinator_host, d.coordinator_port);
}

std::string dash_if_empty(const std::string& text) { return text.empty() ? "-" : text; }

std::string render_text(const GroupReport& report) {
  const GroupDescription& d = report.description;
  Table summary = Table::headless(2);
  summary.add_row({"GROUP", d.group});
  summary.add_row({"COORDINATOR", coordinator_text(d)});
  summary.add_row({"STATE", rd_kafka_consumer_group_state_name(d.state)});
  summary.add_row({"PROTOCOL-TYPE", dash_if_empty(d.protocol_type())});
  summary.add_row({"ASSIGNOR", dash_if_empty(d.assignor)});
  summary.add_row({"MEMBERS", std::to_string(d.members.size())});
  summary.add_row({"TOTAL-LAG", std::to_string(report.total_lag())});

  Table members({"MEMBER-ID", "INSTANCE-ID", "CLIENT-ID", "HOST", "ASSIGNMENT"});
  for (const GroupMember& m : d.members) {
    members.add_row({m.member_id, m.instance_id.value_or("-"), dash_if_empty(m.client_id),
                     dash_if_empty(m.host), format_assignment(m.assignment)});
  }
  return section_title("SUMMARY") + summary.render() + "\n" + section_title("MEMBERS") +
         members.render() + "\n" + section_title("OFFSETS") + render_lag_table(report.partitions);
}

void write_optional(JsonWriter& json, const std::optional<int64_t>& value) {
  if (value) {
    json.number(*value);
  } else {
    json.null();
  }
}

void write_optional(JsonWriter& json, const std::string& value) {
  if (value.empty()) {
    json.null();
  } else {
    json.string(value);
  }
}

void write_json(JsonWriter& json, const GroupReport& report) {
  const GroupDescription& d = report.description;
  json.begin_object()
      .key("group").string(d.group)
      .key("state").string(rd_kafka_consumer_group_state_name(d.state))
      .key("protocol_type").string(d.protocol_type())
      .key("assignor").string(d.assignor)
      .key("coordinator").begin_object()
      .key("id").number(d.coordinator_id)
      .key("host").string(d.coordinator_host)
      .key("port").number(d.coordinator_port)
      .end_object();
  json.key("members").begin_array();
  for (const GroupMember& m : d.members) {
    json.begin_object().key("member_id").string(m.member_id).key("instance_id");
    if (m.instance_id) {
      json.string(*m.instance_id);
    } else {
      json.null();
    }
    json.key("client_id").string(m.client_id).key("host").string(m.host).key("assignment");
    json.begin_array();
    for (const TopicPartition& p : m.assignment) {
      json.begin_object().key("topic").string(p.topic).key("partition").number(p.partition)
          .end_object();
    }
    json.end_array().end_object();
  }
  json.end_array();
  json.key("total_lag").number(report.total_lag());
  json.key("offsets").begin_array();
  for (const PartitionLag& p : report.partitions) {
    json.begin_object()
        .key("topic").string(p.partition.topic)
        .key("partition").number(p.partition.partition)
        .key("committed_offset");
    write_optional(json, p.committed_offset);
    json.key("log_end_offset");
    write_optional(json, p.log_end_offset);
    json.key("lag");
    write_optional(json, p.lag());
    json.key("member_id");
    write_optional(json, p.member_id);
    json.key("client_id");
    write_optional(json, p.client_id);
    json.key("host");
    write_optional(json, p.host);
    json.end_object();
  }
  json.end_array().end_object();
}

// The error that keeps `d` from being described: its own, or GROUP_ID_NOT_FOUND for a group
// the coordinator does not know (described as Dead); nullopt if there is none.
std::optional<std::string> description_error(const GroupDescription& d) {
  if (d.error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return group_error_message(d.group, d.error, d.message);
  }
  if (d.state == RD_KAFKA_CONSUMER_GROUP_STATE_DEAD) {
    return group_error_message(d.group, RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND, "");
  }
  return std::nullopt;
}

void describe(const DescribeOptions& options) {
  AdminClient client(options.connection);
  std::vector<GroupReport> reports;
  std::vector<std::string> errors;
  for (GroupDescription& d : describe_groups(client, options.groups)) {
    if (std::optional<std::string> error = description_error(d)) {
      errors.push_back(std::move(*error));
    } else {
      reports.push_back(gather(client, std::move(d)));
    }
  }
  std::string out;
  if (options.format == OutputFormat::kJson) {
    JsonWriter json;
    json.begin_array();
    for (const GroupReport& report : reports) write_json(json, report);
    json.end_array();
    out = json.text() + "\n";
  } else {
    for (const GroupReport& report : reports) {
      if (!out.empty()) out += "\n";
      out += render_text(report);
    }
  }
  std::fputs(out.c_str(), stdout);
  std::fflush(stdout);
  for (const std::string& error : errors) std::fprintf(stderr, "error: %s\n", error.c_str());
  if (!errors.empty()) throw CommandError("");
}

}  // namespace

void add_group_describe_command(CLI::App& group_app) {
  auto options = std::make_shared<DescribeOptions>();
  CLI::App* command = group_app.add_subcommand(
      "describe", "Show groups' state, members, committed offsets, log end offsets and lag");
  command->alias("info");
  command->add_option("groups", options->groups, "Names of the groups")->required();
  add_output_format_option(*command, options->format);
  add_connection_options(*command, options->connection);
  command->callback([options] { run_reporting_errors([&] { describe(*options); }); });
}

}  // namespace freshet::cli
