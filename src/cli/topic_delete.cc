// freshet topic delete NAME...
#include <CLI/CLI.hpp>

#include <memory>

#include "cli/admin.h"
#include "cli/client.h"
#include "cli/errors.h"
#include "cli/subcommands.h"
#include "cli/topic_outcomes.h"

namespace freshet::cli {
namespace {

struct DeleteOptions {
  ConnectionOptions connection;
  std::vector<std::string> topics;
};

void remove(const DeleteOptions& options) {
  AdminClient client(options.connection);
  report_topic_outcomes(delete_topics(client, options.topics), "OK");
}

}  // namespace

void add_topic_delete_command(CLI::App& topic_app) {
  auto options = std::make_shared<DeleteOptions>();
  CLI::App* command = topic_app.add_subcommand("delete", "Delete topics and all their records");
  command->add_option("topics", options->topics, "Names of the topics to delete")->required();
  add_connection_options(*command, options->connection);
  command->callback([options] { run_reporting_errors([&] { remove(*options); }); });
}

}  // namespace freshet::cli
