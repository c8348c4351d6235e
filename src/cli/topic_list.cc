// freshet topic list [-i] [--format text|json]
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>

#include "cli/client.h"
#include "cli/errors.h"
#include "cli/json_writer.h"
#include "cli/metadata.h"
#include "cli/output_format.h"
#include "cli/subcommands.h"
#include "cli/table.h"

namespace freshet::cli {
namespace {

struct ListOptions {
  ConnectionOptions connection;
  bool include_internal = false;
  OutputFormat format = OutputFormat::kText;
};

std::string render_json(const std::vector<TopicInfo>& topics) {
  JsonWriter json;
  json.begin_array();
  for (const TopicInfo& topic : topics) {
    json.begin_object()
        .key("name").string(topic.name)
        .key("partitions").number(static_cast<int64_t>(topic.partitions.size()))
        .key("replicas").number(static_cast<int64_t>(topic.replication_factor()))
        .end_object();
  }
  json.end_array();
  return json.text() + "\n";
}

std::string render_text(const std::vector<TopicInfo>& topics) {
  Table table({"NAME", "PARTITIONS", "REPLICAS"});
  for (const TopicInfo& topic : topics) {
    table.add_row({topic.name, std::to_string(topic.partitions.size()),
                   std::to_string(topic.replication_factor())});
  }
  return table.render();
}

void list(const ListOptions& options) {
  AdminClient client(options.connection);
  std::vector<TopicInfo> topics;
  for (TopicInfo& topic : list_topics(client)) {
    if (options.include_internal || !topic.is_internal()) topics.push_back(std::move(topic));
  }
  const std::string out =
      options.format == OutputFormat::kJson ? render_json(topics) : render_text(topics);
  std::fputs(out.c_str(), stdout);
}

}  // namespace

void add_topic_list_command(CLI::App& topic_app) {
  auto options = std::make_shared<ListOptions>();
  CLI::App* command = topic_app.add_subcommand("list", "List topics");
  command->alias("ls");
  command->add_flag("-i,--internal", options->include_internal,
                    "Include internal topics (names starting with \"__\")");
  add_output_format_option(*command, options->format);
  add_connection_options(*command, options->connection);
  command->callback([options] { run_reporting_errors([&] { list(*options); }); });
}

}  // namespace freshet::cli
