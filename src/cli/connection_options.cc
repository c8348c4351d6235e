#include "cli/connection_options.h"

#include <CLI/CLI.hpp>

namespace freshet::cli {

void add_connection_options(CLI::App& command, ConnectionOptions& options) {
  command.add_option("-b,--brokers", options.brokers, "Bootstrap brokers, host:port[,host:port]")
      ->envname("FRESHET_BROKERS")
      ->capture_default_str();
  command
      .add_option("-X,--client-setting", options.client_settings,
                  "librdkafka setting key=value (repeatable), e.g. -X debug=protocol")
      ->allow_extra_args(false);
}

}  // namespace freshet::cli
