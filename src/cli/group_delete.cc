// freshet group delete GROUP...: deletes groups without members, with their committed offsets.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>

#include "cli/admin.h"
#include "cli/client.h"
#include "cli/errors.h"
#include "cli/group_errors.h"
#include "cli/subcommands.h"
#include "cli/table.h"

namespace freshet::cli {
namespace {

struct DeleteOptions {
  ConnectionOptions connection;
  std::vector<std::string> groups;
};

// Prints a GROUP/STATUS table to stdout, then one "error: ..." line per failed group to stderr;
// throws an already reported CommandError if any group failed.
void report(const std::vector<GroupOutcome>& outcomes) {
  Table table({"GROUP", "STATUS"});
  for (const GroupOutcome& outcome : outcomes) {
    table.add_row({outcome.group, outcome.error == RD_KAFKA_RESP_ERR_NO_ERROR
                                      ? "OK"
                                      : kafka_error_name(outcome.error)});
  }
  std::fputs(table.render().c_str(), stdout);
  std::fflush(stdout);
  bool failed = false;
  for (const GroupOutcome& outcome : outcomes) {
    if (outcome.error == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    std::fprintf(stderr, "error: %s\n",
                 group_error_message(outcome.group, outcome.error, outcome.message).c_str());
    failed = true;
  }
  if (failed) throw CommandError("");
}

void remove(const DeleteOptions& options) {
  AdminClient client(options.connection);
  report(delete_groups(client, options.groups));
}

}  // namespace

void add_group_delete_command(CLI::App& group_app) {
  auto options = std::make_shared<DeleteOptions>();
  CLI::App* command = group_app.add_subcommand(
      "delete", "Delete groups that have no members, with their committed offsets");
  command->add_option("groups", options->groups, "Names of the groups to delete")->required();
  add_connection_options(*command, options->connection);
  command->callback([options] { run_reporting_errors([&] { remove(*options); }); });
}

}  // namespace freshet::cli
