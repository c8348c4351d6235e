// freshet topic create NAME... [-p N] [-r N] [-c key=value ...] [--dry-run]
#include <CLI/CLI.hpp>

#include <memory>

#include "cli/admin.h"
#include "cli/client.h"
#include "cli/errors.h"
#include "cli/subcommands.h"
#include "cli/topic_outcomes.h"

namespace freshet::cli {
namespace {

struct CreateOptions {
  ConnectionOptions connection;
  std::vector<std::string> topics;
  int partitions = -1;
  int replicas = -1;
  std::vector<std::string> configs;
  bool dry_run = false;
};

void create(const CreateOptions& options) {
  const std::vector<KeyValue> configs = parse_key_values(options.configs, "config");
  std::vector<NewTopicSpec> specs;
  for (const std::string& name : options.topics) {
    specs.push_back(NewTopicSpec{name, options.partitions, options.replicas, configs});
  }
  AdminClient client(options.connection);
  report_topic_outcomes(create_topics(client, specs, options.dry_run),
                        options.dry_run ? "OK (dry run: not created)" : "OK");
}

}  // namespace

void add_topic_create_command(CLI::App& topic_app) {
  auto options = std::make_shared<CreateOptions>();
  CLI::App* command = topic_app.add_subcommand("create", "Create topics");
  command->add_option("topics", options->topics, "Names of the topics to create")->required();
  command->add_option("-p,--partitions", options->partitions,
                      "Partitions per topic (-1: the broker's num.partitions)")
      ->capture_default_str();
  command->add_option("-r,--replicas", options->replicas,
                      "Replication factor (-1: the broker's default.replication.factor)")
      ->capture_default_str();
  command->add_option("-c,--config", options->configs, "Topic config key=value (repeatable)")
      ->allow_extra_args(false);
  command->add_flag("--dry-run", options->dry_run,
                    "Only ask the broker to validate the request (validate_only)");
  add_connection_options(*command, options->connection);
  command->callback([options] { run_reporting_errors([&] { create(*options); }); });
}

}  // namespace freshet::cli
