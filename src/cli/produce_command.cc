// freshet produce TOPIC [-p N] [-k SEP] [-H name=value ...] [--acks 0|1|all] [-z CODEC]
//
// One record per line of stdin. Waits for every record's delivery report, prints the failures
// and "produced N records to TOPIC" to stderr, and fails if any record was not produced.
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>

#include "cli/client.h"
#include "cli/errors.h"
#include "cli/key_value.h"
#include "cli/line_record.h"
#include "cli/metadata.h"
#include "cli/stop_signals.h"
#include "cli/subcommands.h"

namespace freshet::cli {
namespace {

struct ProduceOptions {
  ConnectionOptions connection;
  std::string topic;
  int32_t partition = RD_KAFKA_PARTITION_UA;
  std::string key_separator;
  std::vector<std::string> headers;
  std::string acks = "all";
  std::string compression = "none";
};

// Delivery outcomes, updated by the delivery report callback (on the producing thread, inside
// rd_kafka_poll/flush).
struct DeliveryTally {
  struct Failure {
    uint64_t count = 0;
    std::string first_message;
  };
  uint64_t delivered = 0;
  std::map<rd_kafka_resp_err_t, Failure> failures;

  void fail(rd_kafka_resp_err_t err, std::string message) {
    Failure& failure = failures[err];
    if (failure.count++ == 0) failure.first_message = std::move(message);
  }
  uint64_t failed() const {
    uint64_t total = 0;
    for (const auto& [err, failure] : failures) total += failure.count;
    return total;
  }
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void*) {
  auto* tally = static_cast<DeliveryTally*>(message->_private);
  if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++tally->delivered;
  } else {
    // (rd_kafka_message_errstr() is for consumed messages only: it would return the payload.)
    tally->fail(message->err, "");
  }
}

// Owns a line buffer of POSIX getline(3).
class LineReader {
 public:
  ~LineReader() { std::free(buffer_); }
  // The next line of `file` without its '\n', or false at end of input or on an interrupted
  // read. Throws CommandError on a read error.
  bool next(FILE* file, std::string_view& line) {
    errno = 0;
    const ssize_t length = ::getline(&buffer_, &capacity_, file);
    if (length < 0) {
      if (std::ferror(file) && errno != EINTR) {
        throw CommandError(fmt::format("cannot read the input: {}", std::strerror(errno)));
      }
      return false;
    }
    line = std::string_view(buffer_, static_cast<size_t>(length));
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    return true;
  }

 private:
  char* buffer_ = nullptr;
  size_t capacity_ = 0;
};

// Enqueues one record, waiting while librdkafka's local queue is full; a record librdkafka
// refuses at once is counted as failed in `tally`.
void produce_record(Client& client, const ProduceOptions& options, const LineRecord& record,
                    const std::vector<KeyValue>& headers, DeliveryTally& tally) {
  for (;;) {
    std::vector<rd_kafka_vu_t> fields;
    fields.reserve(8);  // references returned by add() stay valid
    const auto add = [&](rd_kafka_vtype_t type) -> rd_kafka_vu_t& {
      fields.push_back(rd_kafka_vu_t{});
      fields.back().vtype = type;
      return fields.back();
    };
    add(RD_KAFKA_VTYPE_TOPIC).u.cstr = options.topic.c_str();
    add(RD_KAFKA_VTYPE_PARTITION).u.i32 = options.partition;
    add(RD_KAFKA_VTYPE_MSGFLAGS).u.i = RD_KAFKA_MSG_F_COPY;
    add(RD_KAFKA_VTYPE_OPAQUE).u.ptr = &tally;
    rd_kafka_vu_t& value = add(RD_KAFKA_VTYPE_VALUE);
    value.u.mem.ptr = const_cast<char*>(record.value.data());
    value.u.mem.size = record.value.size();
    if (record.key) {
      rd_kafka_vu_t& key = add(RD_KAFKA_VTYPE_KEY);
      key.u.mem.ptr = const_cast<char*>(record.key->data());
      key.u.mem.size = record.key->size();
    }
    rd_kafka_headers_t* record_headers = nullptr;
    if (!headers.empty()) {
      record_headers = rd_kafka_headers_new(headers.size());
      for (const KeyValue& header : headers) {
        rd_kafka_header_add(record_headers, header.key.data(), header.key.size(),
                            header.value.data(), header.value.size());
      }
      add(RD_KAFKA_VTYPE_HEADERS).u.headers = record_headers;
    }
    rd_kafka_error_t* error = rd_kafka_produceva(client.handle(), fields.data(), fields.size());
    if (error == nullptr) return;  // librdkafka owns the headers now
    const rd_kafka_resp_err_t err = rd_kafka_error_code(error);
    const std::string message = rd_kafka_error_string(error);
    rd_kafka_error_destroy(error);
    if (record_headers != nullptr) rd_kafka_headers_destroy(record_headers);
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      tally.fail(err, message);
      return;
    }
    rd_kafka_poll(client.handle(), kPollSliceMs);
  }
}

void produce(const ProduceOptions& options) {
  const std::vector<KeyValue> headers = parse_key_values(options.headers, "header");
  DeliveryTally tally;
  Client client(RD_KAFKA_PRODUCER, options.connection,
                {{"acks", options.acks},
                 {"compression.codec", options.compression},
                 // Keys land on the same partitions as with the Java client.
                 {"partitioner", "murmur2_random"},
                 {"message.timeout.ms", "30000"}},
                [](rd_kafka_conf_t* conf) { rd_kafka_conf_set_dr_msg_cb(conf, &on_delivery); });
  const TopicInfo topic = describe_topic(client, options.topic);
  if (options.partition != RD_KAFKA_PARTITION_UA &&
      (options.partition < 0 || static_cast<size_t>(options.partition) >= topic.partitions.size())) {
    throw CommandError(fmt::format("topic '{}' has {} partitions: there is no partition {}",
                                   options.topic, topic.partitions.size(), options.partition));
  }

  StopSignals stop;
  LineReader reader;
  std::string_view line;
  uint64_t records = 0;
  while (!stop.requested() && reader.next(stdin, line)) {
    produce_record(client, options, split_line(line, options.key_separator), headers, tally);
    ++records;
    rd_kafka_poll(client.handle(), 0);
  }
  while (rd_kafka_outq_len(client.handle()) > 0) rd_kafka_flush(client.handle(), kPollSliceMs);

  for (const auto& [err, failure] : tally.failures) {
    std::fprintf(stderr, "error: %llu %s not produced: %s\n",
                 static_cast<unsigned long long>(failure.count),
                 failure.count == 1 ? "record was" : "records were",
                 topic_error_message(options.topic, err, failure.first_message).c_str());
  }
  std::fprintf(stderr, "produced %llu %s to %s\n",
               static_cast<unsigned long long>(tally.delivered),
               tally.delivered == 1 ? "record" : "records", options.topic.c_str());
  if (tally.failed() > 0 || tally.delivered != records) throw CommandError("");
}

}  // namespace

void add_produce_command(CLI::App& app) {
  auto options = std::make_shared<ProduceOptions>();
  CLI::App* command =
      app.add_subcommand("produce", "Produce one record per line of standard input");
  command->add_option("topic", options->topic, "Topic to produce to")->required();
  command->add_option("-p,--partition", options->partition,
                      "Partition to produce to (default: chosen by key, murmur2 like Java)");
  command->add_option("-k,--key-separator", options->key_separator,
                      "Split each line at the first SEP into key and value (no SEP: no key)");
  command->add_option("-H,--header", options->headers,
                      "Header name=value added to every record (repeatable)")
      ->allow_extra_args(false);
  command->add_option("--acks", options->acks, "Acknowledgements to wait for: 0, 1 or all")
      ->check(CLI::IsMember({"0", "1", "all", "-1"}))
      ->capture_default_str();
  command->add_option("-z,--compression", options->compression,
                      "Compression codec: none, gzip, snappy, lz4 or zstd")
      ->check(CLI::IsMember({"none", "gzip", "snappy", "lz4", "zstd"}))
      ->capture_default_str();
  add_connection_options(*command, options->connection);
  command->callback([options] { run_reporting_errors([&] { produce(*options); }); });
}

}  // namespace freshet::cli
