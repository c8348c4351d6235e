// The operator subcommands of the `freshet` binary (topic, group, produce, consume).
#pragma once

namespace CLI {
class App;
}

namespace freshet::cli {

// Registers the operator subcommands (topic, group, produce, consume) on `app`. Each subcommand's
// callback runs the command and throws CLI::RuntimeError(exit_code) on failure after printing a
// clear message to stderr (e.g. "error: topic 'x' does not exist (UNKNOWN_TOPIC_OR_PARTITION)").
void add_client_commands(CLI::App& app);

}  // namespace freshet::cli
