#include "cli/output_format.h"

#include <CLI/CLI.hpp>

#include <map>

namespace freshet::cli {

void add_output_format_option(CLI::App& command, OutputFormat& format) {
  const std::map<std::string, OutputFormat> names{{"text", OutputFormat::kText},
                                                  {"json", OutputFormat::kJson}};
  command.add_option("--format", format, "Output format: text or json")
      ->transform(CLI::CheckedTransformer(names))
      ->default_str("text");
}

}  // namespace freshet::cli
