// freshet group list [--state S ...] [--format text|json]
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <cstdio>
#include <memory>

#include "cli/admin.h"
#include "cli/client.h"
#include "cli/errors.h"
#include "cli/json_writer.h"
#include "cli/output_format.h"
#include "cli/subcommands.h"
#include "cli/table.h"

namespace freshet::cli {
namespace {

struct ListOptions {
  ConnectionOptions connection;
  std::vector<std::string> states;
  OutputFormat format = OutputFormat::kText;
};

// The group states named by --state (any case); throws CommandError on an unknown name.
std::vector<rd_kafka_consumer_group_state_t> parse_states(const std::vector<std::string>& names) {
  std::vector<rd_kafka_consumer_group_state_t> states;
  for (const std::string& name : names) {
    const rd_kafka_consumer_group_state_t state = rd_kafka_consumer_group_state_code(name.c_str());
    if (state == RD_KAFKA_CONSUMER_GROUP_STATE_UNKNOWN) {
      throw CommandError(fmt::format(
          "invalid --state '{}': expected Empty, Stable, PreparingRebalance, "
          "CompletingRebalance or Dead",
          name));
    }
    states.push_back(state);
  }
  return states;
}

std::string render_text(const std::vector<GroupListing>& groups) {
  Table table({"GROUP", "STATE", "PROTOCOL-TYPE"});
  for (const GroupListing& group : groups) {
    const std::string protocol_type = group.protocol_type();
    table.add_row({group.group, rd_kafka_consumer_group_state_name(group.state),
                   protocol_type.empty() ? "-" : protocol_type});
  }
  return table.render();
}

std::string render_json(const std::vector<GroupListing>& groups) {
  JsonWriter json;
  json.begin_array();
  for (const GroupListing& group : groups) {
    json.begin_object()
        .key("group").string(group.group)
        .key("state").string(rd_kafka_consumer_group_state_name(group.state))
        .key("protocol_type").string(group.protocol_type())
        .end_object();
  }
  json.end_array();
  return json.text() + "\n";
}

void list(const ListOptions& options) {
  const std::vector<rd_kafka_consumer_group_state_t> states = parse_states(options.states);
  AdminClient client(options.connection);
  const std::vector<GroupListing> groups = list_groups(client, states);
  const std::string out =
      options.format == OutputFormat::kJson ? render_json(groups) : render_text(groups);
  std::fputs(out.c_str(), stdout);
}

}  // namespace

void add_group_list_command(CLI::App& group_app) {
  auto options = std::make_shared<ListOptions>();
  CLI::App* command = group_app.add_subcommand("list", "List consumer groups and their states");
  command->alias("ls");
  command->add_option("--state", options->states,
                      "Only groups in this state (repeatable or comma-separated): Empty, Stable, "
                      "PreparingRebalance, CompletingRebalance, Dead")
      ->allow_extra_args(false)
      ->delimiter(',');
  add_output_format_option(*command, options->format);
  add_connection_options(*command, options->connection);
  command->callback([options] { run_reporting_errors([&] { list(*options); }); });
}

}  // namespace freshet::cli
