#include "cli/commands.h"

#include "cli/subcommands.h"

namespace freshet::cli {

void add_client_commands(CLI::App& app) {
  add_topic_commands(app);
  add_group_commands(app);
  add_txn_commands(app);
  add_cluster_commands(app);
  add_produce_command(app);
  add_consume_command(app);
}

}  // namespace freshet::cli
