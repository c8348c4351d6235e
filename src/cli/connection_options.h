// Options every client subcommand takes: where the brokers are and extra librdkafka settings.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace freshet::cli {

struct ConnectionOptions {
  std::string brokers = "127.0.0.1:9092";
  std::vector<std::string> client_settings;  // librdkafka "key=value", applied last
};

// Adds -b/--brokers (default 127.0.0.1:9092, env FRESHET_BROKERS) and -X/--client-setting to
// `command`, storing into `options`, which must outlive parsing and the command's callback.
void add_connection_options(CLI::App& command, ConnectionOptions& options);

}  // namespace freshet::cli
