// freshet topic alter-config NAME --set key=value ... [--delete key ...] [--dry-run]
//
// librdkafka 2.0.2 has no IncrementalAlterConfigs, and AlterConfigs replaces all of a topic's
// dynamic configs: so the command reads the current ones, merges the changes in and sends the
// complete set. (A change made by someone else between the read and the write is overwritten.)
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <cstdio>
#include <memory>

#include "cli/admin.h"
#include "cli/client.h"
#include "cli/config_merge.h"
#include "cli/errors.h"
#include "cli/subcommands.h"
#include "cli/table.h"

namespace freshet::cli {
namespace {

struct AlterConfigOptions {
  ConnectionOptions connection;
  std::string topic;
  std::vector<std::string> sets;
  std::vector<std::string> deletes;
  bool dry_run = false;
};

// name -> value of the configs set on the topic itself (not defaults or broker settings).
std::map<std::string, std::string> dynamic_configs(const std::vector<ConfigEntry>& entries) {
  std::map<std::string, std::string> configs;
  for (const ConfigEntry& entry : entries) {
    if (entry.source != RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG) continue;
    if (!entry.value) {
      throw CommandError(fmt::format(
          "config '{}' is sensitive: its value cannot be read back and would be lost by "
          "AlterConfigs",
          entry.name));
    }
    configs[entry.name] = *entry.value;
  }
  return configs;
}

// The effective value of `name` among `entries`, for display.
std::string effective_value(const std::vector<ConfigEntry>& entries, const std::string& name) {
  for (const ConfigEntry& entry : entries) {
    if (entry.name == name) return entry.value.value_or("-");
  }
  return "-";
}

void alter_config(const AlterConfigOptions& options) {
  const std::vector<KeyValue> sets = parse_key_values(options.sets, "config");
  if (sets.empty() && options.deletes.empty()) {
    throw CommandError("nothing to change: give --set key=value and/or --delete key");
  }
  AdminClient client(options.connection);
  const std::vector<ConfigEntry> before = describe_topic_configs(client, options.topic);
  const std::map<std::string, std::string> merged =
      merge_topic_configs(dynamic_configs(before), sets, options.deletes);
  alter_topic_configs(client, options.topic, merged, options.dry_run);

  Table changes({"KEY", "OLD-VALUE", "NEW-VALUE"});
  if (options.dry_run) {
    for (const KeyValue& set : sets) {
      changes.add_row({set.key, effective_value(before, set.key), set.value});
    }
    for (const std::string& key : options.deletes) {
      changes.add_row({key, effective_value(before, key), "(default)"});
    }
    std::fputs(changes.render().c_str(), stdout);
    std::fputs("dry run: the broker accepted the change; nothing was altered\n", stdout);
    return;
  }
  const std::vector<ConfigEntry> after = describe_topic_configs(client, options.topic);
  for (const KeyValue& set : sets) {
    changes.add_row({set.key, effective_value(before, set.key), effective_value(after, set.key)});
  }
  for (const std::string& key : options.deletes) {
    changes.add_row({key, effective_value(before, key), effective_value(after, key)});
  }
  std::fputs(changes.render().c_str(), stdout);
}

}  // namespace

void add_topic_alter_config_command(CLI::App& topic_app) {
  auto options = std::make_shared<AlterConfigOptions>();
  CLI::App* command = topic_app.add_subcommand(
      "alter-config", "Set or delete (reset to default) a topic's configs");
  command->add_option("topic", options->topic, "Name of the topic")->required();
  command->add_option("-s,--set", options->sets, "Config key=value to set (repeatable)")
      ->allow_extra_args(false);
  command->add_option("-d,--delete", options->deletes,
                      "Config key to delete, i.e. reset to its default (repeatable)")
      ->allow_extra_args(false);
  command->add_flag("--dry-run", options->dry_run,
                    "Only ask the broker to validate the change (validate_only)");
  add_connection_options(*command, options->connection);
  command->callback([options] { run_reporting_errors([&] { alter_config(*options); }); });
}

}  // namespace freshet::cli
