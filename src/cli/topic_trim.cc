// freshet topic trim TOPIC --partition P ... --before OFFSET|end
// (kafka-delete-records.sh): deletes each partition's records before OFFSET
// (DeleteRecords) and prints its new low watermark.
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <cstdio>
#include <memory>

#include "cli/admin.h"
#include "cli/client.h"
#include "cli/errors.h"
#include "cli/parse_number.h"
#include "cli/subcommands.h"
#include "cli/table.h"

namespace freshet::cli {
namespace {

// DeleteRecords' "up to the high watermark".
constexpr int64_t kHighWatermark = -1;

struct TrimOptions {
  ConnectionOptions connection;
  std::string topic;
  std::vector<int32_t> partitions;
  std::string before;
};

int64_t parse_before(const std::string& text) {
  if (text == "end") return kHighWatermark;
  auto offset = parse_non_negative(text);
  if (!offset)
    throw CommandError(fmt::format("--before '{}' is neither an offset (0 or more) nor 'end'", text));
  return *offset;
}

void trim(const TrimOptions& options) {
  const int64_t before = parse_before(options.before);
  std::vector<PartitionOffset> asked;
  for (int32_t partition : options.partitions) asked.push_back({{options.topic, partition}, before});
  AdminClient client(options.connection);
  std::vector<PartitionOffset> answers = delete_records(client, asked);
  Table table({"PARTITION", "LOW-WATERMARK"});
  bool failed = false;
  for (const PartitionOffset& answer : answers) {
    if (answer.error != RD_KAFKA_RESP_ERR_NO_ERROR) {
      failed = true;
      std::fputs(fmt::format("error: {}-{}: {} ({})\n", answer.partition.topic, answer.partition.partition,
                             error_detail(answer.error, ""), kafka_error_name(answer.error))
                     .c_str(),
                 stderr);
      continue;
    }
    table.add_row({std::to_string(answer.partition.partition), std::to_string(answer.offset)});
  }
  std::fputs(table.render().c_str(), stdout);
  if (failed) throw CommandError("");
}

}  // namespace

void add_topic_trim_command(CLI::App& topic_app) {
  auto options = std::make_shared<TrimOptions>();
  CLI::App* command = topic_app.add_subcommand(
      "trim", "Delete a topic's records before an offset (DeleteRecords, kafka-delete-records.sh)");
  command->add_option("topic", options->topic, "Topic")->required();
  command->add_option("-p,--partition", options->partitions, "Partitions to trim (repeatable or comma-separated)")
      ->delimiter(',')
      ->required();
  command->add_option("--before", options->before,
                      "Delete the records before this offset; 'end': all up to the high watermark")
      ->required();
  add_connection_options(*command, options->connection);
  command->callback([options] { run_reporting_errors([&] { trim(*options); }); });
}

}  // namespace freshet::cli
