// freshet topic add-partitions NAME -n TOTAL
#include <CLI/CLI.hpp>

#include <memory>

#include "cli/admin.h"
#include "cli/client.h"
#include "cli/errors.h"
#include "cli/subcommands.h"
#include "cli/topic_outcomes.h"

namespace freshet::cli {
namespace {

struct AddPartitionsOptions {
  ConnectionOptions connection;
  std::string topic;
  int total = 0;
};

void add_partitions(const AddPartitionsOptions& options) {
  AdminClient client(options.connection);
  report_topic_outcomes({create_partitions(client, options.topic, options.total)}, "OK");
}

}  // namespace

void add_topic_add_partitions_command(CLI::App& topic_app) {
  auto options = std::make_shared<AddPartitionsOptions>();
  CLI::App* command = topic_app.add_subcommand(
      "add-partitions", "Grow a topic to a new total number of partitions (never shrinks)");
  command->add_option("topic", options->topic, "Name of the topic")->required();
  command->add_option("-n,--total", options->total, "The topic's new total partition count")
      ->required();
  add_connection_options(*command, options->connection);
  command->callback([options] { run_reporting_errors([&] { add_partitions(*options); }); });
}

}  // namespace freshet::cli
