// The --format option of commands that print either tables or JSON.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace freshet::cli {

enum class OutputFormat { kText, kJson };

// Adds "--format text|json" (default text) to `command`, storing into `format`.
void add_output_format_option(CLI::App& command, OutputFormat& format);

}  // namespace freshet::cli
