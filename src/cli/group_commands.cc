#include <CLI/CLI.hpp>

#include "cli/subcommands.h"

namespace freshet::cli {

void add_group_commands(CLI::App& app) {
  CLI::App* group =
      app.add_subcommand("group", "List, describe, delete consumer groups and reset their offsets");
  group->require_subcommand(1);
  add_group_list_command(*group);
  add_group_describe_command(*group);
  add_group_delete_command(*group);
  add_group_seek_command(*group);
}

}  // namespace freshet::cli
