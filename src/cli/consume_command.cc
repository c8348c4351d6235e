// freshet consume TOPIC [-p N ...] [-o OFFSET] [-n COUNT] [-f FORMAT] [-e]
//
// Reads partitions by assignment with explicit start offsets: no consumer group is joined and
// nothing is committed (librdkafka needs a group.id for assign(); it is a placeholder).
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <csignal>
#include <cstdio>
#include <memory>
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

constexpr int kPollSliceMs = 100;
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
};

struct MessageDeleter {
  void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
};
using MessagePtr = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;

struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

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

void consume(const ConsumeOptions& options) {
  const OffsetSpec spec = OffsetSpec::parse(options.offset);
  const RecordPrinter printer(options.format);
  if (options.count < 0) throw CommandError("-n/--num must not be negative");
  Client client(RD_KAFKA_CONSUMER, options.connection,
                {{"group.id", "freshet-cli"},  // required by assign(); never joined
                 {"enable.auto.commit", "false"},
                 {"enable.auto.offset.store", "false"},
                 {"enable.partition.eof", options.exit_at_end ? "true" : "false"},
                 // The end of a partition shows as an empty long poll: keep it short with -e.
                 {"fetch.wait.max.ms", options.exit_at_end ? "100" : "500"},
                 {"auto.offset.reset", "error"},
                 {"allow.auto.create.topics", "false"}});
  const TopicInfo topic = describe_topic(client, options.topic);
  const std::vector<int32_t> partitions = choose_partitions(topic, options.partitions);

  PartitionListPtr assignment(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
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

  std::signal(SIGPIPE, SIG_IGN);  // a closed stdout ends the command instead of killing it
  StopSignals stop;
  std::set<int32_t> at_end;  // partitions whose end was reached after their last record
  std::set<rd_kafka_resp_err_t> warned;
  std::string out;
  int64_t printed = 0;
  while (!stop.requested()) {
    if (options.count > 0 && printed >= options.count) break;
    if (options.exit_at_end && at_end.size() == partitions.size()) break;
    MessagePtr message(rd_kafka_consumer_poll(client.handle(), out.empty() ? kPollSliceMs : 0));
    if (!message) {
      if (!out.empty() && !write_out(out)) return;
      continue;
    }
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      at_end.insert(message->partition);
      continue;
    }
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      handle_consumer_error(*message, options.topic, warned);
      continue;
    }
    at_end.erase(message->partition);
    printer.print(*message, out);
    ++printed;
    if (out.size() >= kOutputChunkBytes && !write_out(out)) return;
  }
  write_out(out);
}

}  // namespace

void add_consume_command(CLI::App& app) {
  auto options = std::make_shared<ConsumeOptions>();
  CLI::App* command = app.add_subcommand(
      "consume", "Print records of a topic's partitions from a given offset (no consumer group)");
  command->add_option("topic", options->topic, "Topic to consume")->required();
  command->add_option("-p,--partition", options->partitions,
                      "Partition to read (repeatable or comma-separated; default: all)")
      ->allow_extra_args(false)
      ->delimiter(',');
  command->add_option("-o,--offset", options->offset,
                      "Start: beginning, end, OFFSET, -COUNT (before the end) or @TIMESTAMP_MS")
      ->capture_default_str();
  command->add_option("-n,--num", options->count, "Stop after COUNT records (0: no limit)");
  command->add_option("-f,--format", options->format,
                      "Record format: json, or a format string with %t %p %o %k %s %K %S %T %h "
                      "and \\n \\t escapes")
      ->capture_default_str();
  command->add_flag("-e,--exit-at-end", options->exit_at_end,
                    "Exit once every partition is read up to its high watermark");
  add_connection_options(*command, options->connection);
  command->callback([options] { run_reporting_errors([&] { consume(*options); }); });
}

}  // namespace freshet::cli
