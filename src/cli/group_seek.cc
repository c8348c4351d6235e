// freshet group seek GROUP --to earliest|latest|OFFSET|@TIMESTAMP_MS [--topic T[:P,...]]...
//                         [--dry-run] [--format text|json]
//
// Resets the committed offsets of a group without members, like kafka-consumer-groups
// --reset-offsets --execute: by default every partition the group has an offset for.
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <cstdio>
#include <map>
#include <memory>
#include <set>

#include "cli/admin.h"
#include "cli/client.h"
#include "cli/errors.h"
#include "cli/group_errors.h"
#include "cli/group_reset.h"
#include "cli/json_writer.h"
#include "cli/metadata.h"
#include "cli/output_format.h"
#include "cli/subcommands.h"
#include "cli/table.h"

namespace freshet::cli {
namespace {

struct SeekOptions {
  ConnectionOptions connection;
  std::string group;
  std::string to;
  std::vector<std::string> topics;
  bool dry_run = false;
  OutputFormat format = OutputFormat::kText;
};

struct OffsetChange {
  TopicPartition partition;
  std::optional<int64_t> old_offset;  // nullopt: nothing was committed
  int64_t new_offset = -1;
};

// The partitions named by `selections`, checked against the topics' metadata.
std::set<TopicPartition> selected_partitions(Client& client,
                                             const std::vector<TopicSelection>& selections) {
  std::set<TopicPartition> partitions;
  for (const TopicSelection& selection : selections) {
    const TopicInfo topic = describe_topic(client, selection.topic);
    for (int32_t id : selection.partitions) {
      if (static_cast<size_t>(id) >= topic.partitions.size()) {
        throw CommandError(fmt::format("topic '{}' has {} partitions: there is no partition {}",
                                       topic.name, topic.partitions.size(), id));
      }
      partitions.insert({topic.name, id});
    }
    if (selection.partitions.empty()) {
      for (const PartitionInfo& p : topic.partitions) partitions.insert({topic.name, p.id});
    }
  }
  return partitions;
}

std::string partition_error(const TopicPartition& partition, rd_kafka_resp_err_t err) {
  return fmt::format("partition {}: {}", partition.partition,
                     topic_error_message(partition.topic, err, ""));
}

// The new offset of every partition in `partitions`, resolved against its log (ListOffsets).
std::vector<OffsetChange> plan_changes(Client& client, const ResetTarget& target,
                                       const std::set<TopicPartition>& partitions,
                                       const std::vector<PartitionOffset>& committed) {
  std::map<TopicPartition, int64_t> timestamp_offsets;
  if (target.kind == ResetTarget::Kind::kTimestamp) {
    const std::vector<TopicPartition> list(partitions.begin(), partitions.end());
    for (const PartitionOffset& found : offsets_for_timestamp(client, list, target.value)) {
      if (found.error != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw CommandError(partition_error(found.partition, found.error));
      }
      timestamp_offsets[found.partition] = found.offset;
    }
  }
  std::map<TopicPartition, int64_t> old_offsets;
  for (const PartitionOffset& entry : committed) old_offsets[entry.partition] = entry.offset;
  std::vector<OffsetChange> changes;
  for (const TopicPartition& partition : partitions) {
    const Watermarks marks = query_watermarks(client, partition.topic, partition.partition);
    if (marks.error != RD_KAFKA_RESP_ERR_NO_ERROR) {
      client.throw_if_unreachable();
      throw CommandError(partition_error(partition, marks.error));
    }
    const auto timestamp_offset = timestamp_offsets.find(partition);
    OffsetChange change{partition, std::nullopt,
                        reset_offset(target, marks.log_start_offset, marks.high_watermark,
                                     timestamp_offset == timestamp_offsets.end()
                                         ? -1
                                         : timestamp_offset->second)};
    if (const auto old = old_offsets.find(partition); old != old_offsets.end()) {
      change.old_offset = old->second;
    }
    changes.push_back(change);
  }
  return changes;
}

// Commits `changes`; throws CommandError after printing each distinct failure to stderr.
void commit(Client& client, const std::string& group, const std::vector<OffsetChange>& changes) {
  std::vector<PartitionOffset> offsets;
  for (const OffsetChange& change : changes) {
    offsets.push_back(PartitionOffset{change.partition, change.new_offset});
  }
  std::set<std::string> errors;
  for (const PartitionOffset& result : commit_group_offsets(client, group, offsets)) {
    if (result.error == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    const bool topic_error = result.error == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
                             result.error == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION;
    errors.insert(topic_error ? partition_error(result.partition, result.error)
                              : group_error_message(group, result.error, ""));
  }
  if (errors.empty()) return;
  for (const std::string& error : errors) std::fprintf(stderr, "error: %s\n", error.c_str());
  throw CommandError("");
}

std::string render_text(const std::vector<OffsetChange>& changes) {
  Table table({"TOPIC", "PARTITION", "OLD-OFFSET", "NEW-OFFSET"});
  for (const OffsetChange& change : changes) {
    table.add_row({change.partition.topic, std::to_string(change.partition.partition),
                   change.old_offset ? std::to_string(*change.old_offset) : "-",
                   std::to_string(change.new_offset)});
  }
  return table.render();
}

std::string render_json(const std::vector<OffsetChange>& changes) {
  JsonWriter json;
  json.begin_array();
  for (const OffsetChange& change : changes) {
    json.begin_object()
        .key("topic").string(change.partition.topic)
        .key("partition").number(change.partition.partition)
        .key("old_offset");
    if (change.old_offset) {
      json.number(*change.old_offset);
    } else {
      json.null();
    }
    json.key("new_offset").number(change.new_offset).end_object();
  }
  json.end_array();
  return json.text() + "\n";
}

void seek(const SeekOptions& options) {
  const ResetTarget target = ResetTarget::parse(options.to);
  std::vector<TopicSelection> selections;
  for (const std::string& text : options.topics) selections.push_back(TopicSelection::parse(text));

  AdminClient client(options.connection);
  const std::vector<GroupDescription> described = describe_groups(client, {options.group});
  if (described.size() != 1) {
    throw CommandError(fmt::format("group '{}': the broker's answer describes {} groups",
                                   options.group, described.size()));
  }
  require_inactive(described.front());
  const std::vector<PartitionOffset> committed = fetch_group_offsets(client, options.group);

  std::set<TopicPartition> partitions = selected_partitions(client, selections);
  if (selections.empty()) {
    for (const PartitionOffset& entry : committed) partitions.insert(entry.partition);
    if (partitions.empty()) {
      throw CommandError(fmt::format(
          "group '{}' has no committed offsets: name the topics to seek with --topic",
          options.group));
    }
  }
  const std::vector<OffsetChange> changes = plan_changes(client, target, partitions, committed);
  if (!options.dry_run) commit(client, options.group, changes);
  const std::string out = options.format == OutputFormat::kJson ? render_json(changes)
                                                                : render_text(changes);
  std::fputs(out.c_str(), stdout);
  if (options.dry_run) {
    std::fflush(stdout);
    std::fputs("dry run: nothing committed\n", stderr);
  }
}

}  // namespace

void add_group_seek_command(CLI::App& group_app) {
  auto options = std::make_shared<SeekOptions>();
  CLI::App* command = group_app.add_subcommand(
      "seek", "Reset the committed offsets of a group that has no members");
  command->add_option("group", options->group, "Name of the group")->required();
  command->add_option("--to", options->to,
                      "New offsets: earliest, latest, OFFSET (clamped to the log) or "
                      "@TIMESTAMP_MS (first record at or after it; the end if none)")
      ->required();
  command->add_option("-t,--topic", options->topics,
                      "TOPIC or TOPIC:PARTITION[,PARTITION...] to reset (repeatable; default: "
                      "every partition the group has an offset for)")
      ->allow_extra_args(false);
  command->add_flag("--dry-run", options->dry_run, "Print the new offsets without committing");
  add_output_format_option(*command, options->format);
  add_connection_options(*command, options->connection);
  command->callback([options] { run_reporting_errors([&] { seek(*options); }); });
}

}  // namespace freshet::cli
