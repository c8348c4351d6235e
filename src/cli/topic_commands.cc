#include <CLI/CLI.hpp>

#include "cli/subcommands.h"

namespace freshet::cli {

void add_topic_commands(CLI::App& app) {
  CLI::App* topic = app.add_subcommand("topic", "Create, list, describe, alter, trim and delete topics");
  topic->require_subcommand(1);
  add_topic_create_command(*topic);
  add_topic_list_command(*topic);
  add_topic_describe_command(*topic);
  add_topic_delete_command(*topic);
  add_topic_alter_config_command(*topic);
  add_topic_add_partitions_command(*topic);
  add_topic_producers_command(*topic);
  add_topic_trim_command(*topic);
}

}  // namespace freshet::cli
