// freshet consume TOPIC [-p N ...] [-o OFFSET] [-n COUNT] [-f FORMAT] [-e]
// freshet consume TOPIC --group GROUP [-o beginning|end] [-n COUNT] [-f FORMAT] [-e]
//
// Without --group, reads partitions by assignment with explicit start offsets: no consumer group
// is joined and nothing is committed (librdkafka needs a group.id for assign(); it is a
// placeholder). With --group, joins the group (subscribe): the group assigns the partitions,
// reading resumes at its committed offsets, and the offsets of the records printed are
// committed (automatically while running, and once more on exit, when the member leaves).
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <csignal>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "cli/client.h"
#include "cli/errors.h"
#include "cli/metadata.h"
#include "cli/offset_spec.h"
#include "cli/record_format.h"
#include "cli/stop_signals.h"
#include "cli/subcommands.h"

namespace freshet::cli {
namespace {

// Output is written in chunks of about this size, and whenever the consumer waits.
constexpr size_t kOutputChunkBytes = 64 * 1024;

struct ConsumeOptions {
  ConnectionOptions connection;
  std::string topic;
  std::vector<int32_t> partitions;
  std::string offset = "beginning";
  int64_t count = 0;
  std::string format = "%s\\n";
  bool exit_at_end = false;
  std::string group;  // empty: read by assignment, without a group

  bool in_group() const { return !group.empty(); }
};

using MessagePtr = Owned<rd_kafka_message_t, rd_kafka_message_destroy>;


// Renders records either by a format string or as JSON.
class RecordPrinter {
 public:
  explicit RecordPrinter(const std::string& format) : json_(format == "json") {
    if (!json_) format_ = RecordFormat::parse(format);
  }
  void print(const rd_kafka_message_t& message, std::string& out) const {
    RecordView record;
    record.topic = rd_kafka_topic_name(message.rkt);
    record.partition = message.partition;
    record.offset = message.offset;
    record.timestamp_ms = rd_kafka_message_timestamp(&message, nullptr);
    if (message.key != nullptr) {
      record.key = std::string_view(static_cast<const char*>(message.key), message.key_len);
    }
    if (message.payload != nullptr) {
      record.value = std::string_view(static_cast<const char*>(message.payload), message.len);
    }
    rd_kafka_headers_t* headers = nullptr;
    if (rd_kafka_message_headers(&message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* name;
      const void* value;
      size_t size;
      for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) ==
                         RD_KAFKA_RESP_ERR_NO_ERROR;
           ++i) {
        record.headers.emplace_back(
            name, value ? std::optional<std::string_view>(
                              std::string_view(static_cast<const char*>(value), size))
                        : std::nullopt);
      }
    }
    if (json_) {
      render_record_json(record, out);
    } else {
      format_.render(record, out);
    }
  }

 private:
  bool json_;
  RecordFormat format_;
};

// The librdkafka start offset for `spec` (a logical offset unless absolute; for timestamps
// filled in later by resolve_timestamps).
int64_t start_offset(const OffsetSpec& spec) {
  switch (spec.kind) {
    case OffsetSpec::Kind::kBeginning: return RD_KAFKA_OFFSET_BEGINNING;
    case OffsetSpec::Kind::kEnd: return RD_KAFKA_OFFSET_END;
    case OffsetSpec::Kind::kAbsolute: return spec.value;
    case OffsetSpec::Kind::kFromEnd: return RD_KAFKA_OFFSET_TAIL(spec.value);
    case OffsetSpec::Kind::kTimestamp: return spec.value;
  }
  return RD_KAFKA_OFFSET_END;
}

// Replaces the timestamps in `list` by the offsets of the first records at or after them
// (ListOffsets); a partition without such a record starts at its end.
void resolve_timestamps(Client& client, rd_kafka_topic_partition_list_t* list) {
  const rd_kafka_resp_err_t err =
      rd_kafka_offsets_for_times(client.handle(), list, kRequestTimeoutMs);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw CommandError(fmt::format("cannot look up offsets by timestamp: {} ({})",
                                   error_detail(err, ""), kafka_error_name(err)));
  }
  for (int i = 0; i < list->cnt; ++i) {
    rd_kafka_topic_partition_t& p = list->elems[i];
    if (p.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      throw CommandError(fmt::format("partition {}: {}", p.partition,
                                     topic_error_message(p.topic, p.err, "")));
    }
    if (p.offset < 0) p.offset = RD_KAFKA_OFFSET_END;
  }
}

// The partitions to read: `requested` (checked against the topic) or all of them.
std::vector<int32_t> choose_partitions(const TopicInfo& topic, std::vector<int32_t> requested) {
  if (requested.empty()) {
    for (const PartitionInfo& p : topic.partitions) requested.push_back(p.id);
    return requested;
  }
  std::set<int32_t> unique(requested.begin(), requested.end());
  for (int32_t id : unique) {
    if (id < 0 || static_cast<size_t>(id) >= topic.partitions.size()) {
      throw CommandError(fmt::format("topic '{}' has {} partitions: there is no partition {}",
                                     topic.name, topic.partitions.size(), id));
    }
  }
  return std::vector<int32_t>(unique.begin(), unique.end());
}

// Handles a consumer error event: fatal ones throw CommandError, others are printed once.
void handle_consumer_error(const rd_kafka_message_t& message, const std::string& topic,
                           std::set<rd_kafka_resp_err_t>& warned) {
  const rd_kafka_resp_err_t err = message.err;
  const std::string detail = rd_kafka_message_errstr(&message);
  switch (err) {
    case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET:
    case RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE:
      throw CommandError(fmt::format(
          "topic '{}' partition {}: offset {} is out of range ({}); try -o beginning or -o end",
          topic, message.partition, message.offset,
          kafka_error_name(RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE)));
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR__FATAL:
      throw CommandError(topic_error_message(topic, err, detail));
    default:
      if (warned.insert(err).second) {
        std::fprintf(stderr, "warning: %s (%s)\n", error_detail(err, detail).c_str(),
                     kafka_error_name(err).c_str());
      }
  }
}

// Writes `out` to stdout and empties it; false if stdout is closed (e.g. a pipe to `head`).
bool write_out(std::string& out) {
  const bool ok = std::fwrite(out.data(), 1, out.size(), stdout) == out.size() &&
                  std::fflush(stdout) == 0;
  out.clear();
  return ok;
}

// Throws CommandError for options that make no sense together.
void check_options(const ConsumeOptions& options, const OffsetSpec& spec) {
  if (options.count < 0) throw CommandError("-n/--num must not be negative");
  if (!options.in_group()) return;
  if (!options.partitions.empty()) {
    throw CommandError("-p/--partition cannot be used with --group: the group assigns partitions");
  }
  if (spec.kind != OffsetSpec::Kind::kBeginning && spec.kind != OffsetSpec::Kind::kEnd) {
    throw CommandError(
        "with --group, -o/--offset must be beginning or end: where partitions without a "
        "committed offset start");
  }
}

Client::Settings consumer_settings(const ConsumeOptions& options, const OffsetSpec& spec) {
  Client::Settings settings{
      {"enable.partition.eof", options.exit_at_end ? "true" : "false"},
      // The end of a partition shows as an empty long poll: keep it short with -e.
      {"fetch.wait.max.ms", options.exit_at_end ? "100" : "500"},
      {"allow.auto.create.topics", "false"},
      // Offsets are stored once their records are written out, never before.
      {"enable.auto.offset.store", "false"}};
  if (options.in_group()) {
    settings.insert(settings.end(),
                    {{"group.id", options.group},
                     {"enable.auto.commit", "true"},
                     {"auto.offset.reset",
                      spec.kind == OffsetSpec::Kind::kBeginning ? "earliest" : "latest"}});
  } else {
    // assign() requires a group.id; this one is never joined.
    settings.insert(settings.end(), {{"group.id", "freshet-cli"},
                                     {"enable.auto.commit", "false"},
                                     {"auto.offset.reset", "error"}});
  }
  return settings;
}

// Assigns the chosen partitions of `topic` at the offsets `spec` names (no group).
void assign_partitions(Client& client, const ConsumeOptions& options, const OffsetSpec& spec,
                       const std::vector<int32_t>& partitions) {
  PartitionListPtr assignment(
      rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (int32_t id : partitions) {
    rd_kafka_topic_partition_list_add(assignment.get(), options.topic.c_str(), id)->offset =
        start_offset(spec);
  }
  if (spec.kind == OffsetSpec::Kind::kTimestamp) resolve_timestamps(client, assignment.get());
  const rd_kafka_resp_err_t err = rd_kafka_assign(client.handle(), assignment.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw CommandError(fmt::format("cannot assign partitions: {} ({})", error_detail(err, ""),
                                   kafka_error_name(err)));
  }
}

// Joins the consumer group by subscribing to `topic`.
void subscribe(Client& client, const std::string& topic) {
  PartitionListPtr subscription(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(subscription.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
  const rd_kafka_resp_err_t err = rd_kafka_subscribe(client.handle(), subscription.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw CommandError(fmt::format("cannot subscribe to topic '{}': {} ({})", topic,
                                   error_detail(err, ""), kafka_error_name(err)));
  }
}

// The partitions the group currently assigns to this consumer.
std::set<int32_t> group_assignment(Client& client) {
  rd_kafka_topic_partition_list_t* list = nullptr;
  std::set<int32_t> partitions;
  if (rd_kafka_assignment(client.handle(), &list) != RD_KAFKA_RESP_ERR_NO_ERROR) return partitions;
  const PartitionListPtr owned(list);
  for (int i = 0; i < list->cnt; ++i) partitions.insert(list->elems[i].partition);
  return partitions;
}

// The consumer's membership in its group: when destroyed (also when the command fails) the
// consumer leaves the group, after committing the offsets stored so far (auto commit).
class GroupMembership {
 public:
  explicit GroupMembership(Client& client) : client_(client) {}
  ~GroupMembership() { rd_kafka_consumer_close(client_.handle()); }
  GroupMembership(const GroupMembership&) = delete;
  GroupMembership& operator=(const GroupMembership&) = delete;

  // Commits the stored offsets now and warns on stderr if that fails.
  void commit() {
    const rd_kafka_resp_err_t err = rd_kafka_commit(client_.handle(), nullptr, 0);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
      std::fprintf(stderr, "warning: cannot commit offsets: %s (%s)\n",
                   error_detail(err, "").c_str(), kafka_error_name(err).c_str());
    }
  }

 private:
  Client& client_;
};

// The offsets after the records printed but not yet written out, per partition; stored for the
// group's commit once they are written (a no-op without a group).
class PendingOffsets {
 public:
  PendingOffsets(Client& client, const ConsumeOptions& options)
      : client_(client), topic_(options.topic), enabled_(options.in_group()) {}

  void add(const rd_kafka_message_t& message) {
    if (enabled_) next_[message.partition] = message.offset + 1;
  }

  // Stores the offsets added so far. A partition the group has meanwhile taken away is
  // skipped: its new owner reads those records again (at-least-once).
  void store() {
    if (next_.empty()) return;
    PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(next_.size())));
    for (const auto& [partition, offset] : next_) {
      rd_kafka_topic_partition_list_add(list.get(), topic_.c_str(), partition)->offset = offset;
    }
    rd_kafka_offsets_store(client_.handle(), list.get());
    next_.clear();
  }

 private:
  Client& client_;
  std::string topic_;
  bool enabled_;
  std::map<int32_t, int64_t> next_;
};

void consume(const ConsumeOptions& options) {
  const OffsetSpec spec = OffsetSpec::parse(options.offset);
  check_options(options, spec);
  const RecordPrinter printer(options.format);
  Client client(RD_KAFKA_CONSUMER, options.connection, consumer_settings(options, spec));
  const TopicInfo topic = describe_topic(client, options.topic);
  std::vector<int32_t> partitions;  // the assigned partitions, without a group
  std::optional<GroupMembership> membership;
  if (options.in_group()) {
    subscribe(client, options.topic);
    membership.emplace(client);
  } else {
    partitions = choose_partitions(topic, options.partitions);
    assign_partitions(client, options, spec, partitions);
  }
  // Whether every partition read has reached its end after its last record (for -e).
  std::set<int32_t> at_end;
  const auto everything_read = [&] {
    if (!options.in_group()) return at_end.size() == partitions.size();
    const std::set<int32_t> assigned = group_assignment(client);
    std::erase_if(at_end, [&](int32_t id) { return !assigned.contains(id); });
    return !assigned.empty() && at_end.size() == assigned.size();
  };

  std::signal(SIGPIPE, SIG_IGN);  // a closed stdout ends the command instead of killing it
  StopSignals stop;
  std::set<rd_kafka_resp_err_t> warned;
  PendingOffsets pending(client, options);
  std::string out;
  // Writes `out` and stores the offsets of what it held; false if stdout is closed.
  const auto flush = [&] {
    if (!write_out(out)) return false;
    pending.store();
    return true;
  };
  int64_t printed = 0;
  bool check_end = !options.in_group();
  while (!stop.requested()) {
    if (options.count > 0 && printed >= options.count) break;
    if (options.exit_at_end && check_end && everything_read()) break;
    MessagePtr message(rd_kafka_consumer_poll(client.handle(), out.empty() ? kPollSliceMs : 0));
    check_end = !options.in_group();
    if (!message) {
      if (!out.empty() && !flush()) return;
      check_end = true;  // a group's assignment may have changed meanwhile
      continue;
    }
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      at_end.insert(message->partition);
      check_end = true;
      continue;
    }
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      handle_consumer_error(*message, options.topic, warned);
      continue;
    }
    at_end.erase(message->partition);
    printer.print(*message, out);
    pending.add(*message);
    ++printed;
    if (out.size() >= kOutputChunkBytes && !flush()) return;
  }
  if (flush() && membership) membership->commit();
}

}  // namespace

void add_consume_command(CLI::App& app) {
  auto options = std::make_shared<ConsumeOptions>();
  CLI::App* command = app.add_subcommand(
      "consume",
      "Print records of a topic's partitions from a given offset, or as a member of a group");
  command->add_option("topic", options->topic, "Topic to consume")->required();
  command->add_option("-p,--partition", options->partitions,
                      "Partition to read (repeatable or comma-separated; default: all)")
      ->allow_extra_args(false)
      ->delimiter(',');
  command->add_option("-o,--offset", options->offset,
                      "Start: beginning, end, OFFSET, -COUNT (before the end) or @TIMESTAMP_MS; "
                      "with --group, where partitions without a committed offset start "
                      "(beginning or end)")
      ->capture_default_str();
  command->add_option("-n,--num", options->count, "Stop after COUNT records (0: no limit)");
  command->add_option("-f,--format", options->format,
                      "Record format: json, or a format string with %t %p %o %k %s %K %S %T %h "
                      "and \\n \\t escapes")
      ->capture_default_str();
  command->add_flag("-e,--exit-at-end", options->exit_at_end,
                    "Exit once every partition being read is read up to its high watermark");
  command->add_option("-g,--group", options->group,
                      "Join this consumer group: it assigns the partitions, reading resumes at "
                      "its committed offsets and the offsets of printed records are committed");
  add_connection_options(*command, options->connection);
  command->callback([options] { run_reporting_errors([&] { consume(*options); }); });
}

}  // namespace freshet::cli
