// `freshet_load`: a librdkafka load generator for a Kafka-compatible broker, in the
// spirit of rdkafka_performance. Modes (see load_options.h):
//   produce  N records of BYTES to partition 0 as fast as possible;
//   consume  N records of partition 0 from the beginning (legacy simple consumer);
//   latency  produce at a fixed rate and report produce -> delivery-report latency;
//   txn      transactions of K records to partition 0 from P transactional producers.
// Each mode prints one line of key=value figures, MB = 10^6 bytes of payload.
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "load_options.h"
#include "load_producer.h"
#include "txn_load.h"

namespace freshet::bench {
namespace {

int run_produce(const LoadOptions& options) {
  DeliveryStats stats;
  stats.expected_reports = options.records;
  rd_kafka_t* producer = make_producer(options, &stats);
  rd_kafka_topic_t* topic = rd_kafka_topic_new(producer, options.topic.c_str(), nullptr);
  std::vector<char> payload(options.size_bytes, 'x');

  int64_t start_ns = now_ns();
  for (int64_t i = 0; i < options.records; ++i) {
    produce_one(producer, topic, payload, nullptr);
    if ((i & 1023) == 0) rd_kafka_poll(producer, 0);
  }
  flush_all(producer);
  double seconds = (stats.last_report_ns - start_ns) / 1e9;

  std::printf("mode=produce topic=%s records=%" PRId64 " size_bytes=%" PRId64
              " acks=%s linger_ms=%d compression=%s seconds=%.3f msgs_per_s=%.0f mb_per_s=%.1f"
              " delivered=%" PRId64 " delivery_errors=%" PRId64 "\n",
              options.topic.c_str(), options.records, options.size_bytes, options.acks.c_str(),
              options.linger_ms, options.compression.c_str(), seconds, stats.delivered / seconds,
              stats.delivered * static_cast<double>(options.size_bytes) / 1e6 / seconds, stats.delivered,
              stats.failed);
  print_errors(stats);
  rd_kafka_topic_destroy(topic);
  rd_kafka_destroy(producer);
  return stats.failed ? 1 : 0;
}

// Reads `records` records of partition 0 from the first offset with the legacy
// consumer (no consumer group, no offset commits), prefetching up to a million
// records as rdkafka_performance does (with the byte bound raised so that it
// does not stop the prefetch first: a million 100 B records exceed librdkafka's
// 64 MB default, and hitting it made runs bimodal), with 4 MB per fetch
// (librdkafka 2.0.2 spends more CPU per record with its default 1 MB, and
// parses 40 MB responses slowly).
struct ConsumeTally {
  int64_t received = 0;
  int64_t bytes = 0;
  int64_t errors = 0;
};

void count_message(rd_kafka_message_t* message, void* opaque) {
  auto* tally = static_cast<ConsumeTally*>(opaque);
  if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++tally->received;
    tally->bytes += message->len;
  } else if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    if (tally->errors++ == 0) std::fprintf(stderr, "freshet_load: consume error: %s\n", rd_kafka_message_errstr(message));
  }
}

int run_consume(const LoadOptions& options) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", options.brokers);
  set(conf, "queued.min.messages", "1000000");
  set(conf, "queued.max.messages.kbytes", "2097151");
  set(conf, "fetch.max.bytes", "104857600");
  set(conf, "fetch.message.max.bytes", "4194304");  // per partition
  set(conf, "fetch.wait.max.ms", "100");
  set(conf, "enable.auto.commit", "false");
  set(conf, "enable.auto.offset.store", "false");
  set_properties(conf, options);
  char error[512];
  rd_kafka_t* consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
  if (!consumer) die(std::string("rd_kafka_new: ") + error);
  rd_kafka_topic_t* topic = rd_kafka_topic_new(consumer, options.topic.c_str(), nullptr);

  int64_t start_ns = now_ns();
  if (rd_kafka_consume_start(topic, 0, RD_KAFKA_OFFSET_BEGINNING) == -1) {
    die(std::string("consume_start: ") + rd_kafka_err2str(rd_kafka_last_error()));
  }
  ConsumeTally tally;
  int64_t idle_ms = 0;
  constexpr int kPollMs = 1000;
  constexpr int64_t kGiveUpIdleMs = 30000;
  while (tally.received < options.records) {
    int n = rd_kafka_consume_callback(topic, 0, kPollMs, count_message, &tally);
    if (n < 0) die(std::string("consume_callback: ") + rd_kafka_err2str(rd_kafka_last_error()));
    idle_ms = n == 0 ? idle_ms + kPollMs : 0;
    if (idle_ms >= kGiveUpIdleMs) break;
  }
  int64_t received = tally.received, bytes = tally.bytes, errors = tally.errors;
  double seconds = (now_ns() - start_ns) / 1e9;
  rd_kafka_consume_stop(topic, 0);

  std::printf("mode=consume topic=%s records=%" PRId64 " seconds=%.3f msgs_per_s=%.0f mb_per_s=%.1f"
              " consume_errors=%" PRId64 "\n",
              options.topic.c_str(), received, seconds, received / seconds, bytes / 1e6 / seconds, errors);
  rd_kafka_topic_destroy(topic);
  rd_kafka_destroy(consumer);
  return received == options.records && errors == 0 ? 0 : 1;
}

// Produces `rate_per_s` records per second for `seconds` on a fixed schedule:
// record i is due at start + i / rate. Each carries its due time as the message
// opaque, and latency = delivery report time - due time (produce -> broker ack
// as seen by the client, linger.ms included). A producer that falls behind
// sends the overdue records at once, and their wait counts: no coordinated
// omission. max_send_lag_ms says how far behind the schedule sending fell.
int run_latency(const LoadOptions& options) {
  DeliveryStats stats;
  stats.record_latency = true;
  int64_t total = options.rate_per_s * options.seconds;
  stats.latencies_ns.reserve(total);
  rd_kafka_t* producer = make_producer(options, &stats);
  rd_kafka_topic_t* topic = rd_kafka_topic_new(producer, options.topic.c_str(), nullptr);
  std::vector<char> payload(options.size_bytes, 'x');

  // Warm up the connection and metadata so the first records do not pay for them.
  produce_one(producer, topic, payload, reinterpret_cast<void*>(now_ns()));
  flush_all(producer);
  stats = DeliveryStats{};
  stats.record_latency = true;
  stats.latencies_ns.reserve(total);

  int64_t start_ns = now_ns();
  auto due_ns = [&](int64_t i) { return start_ns + i * 1000000000 / options.rate_per_s; };
  int64_t sent = 0;
  int64_t max_lag_ns = 0;
  while (sent < total) {
    int64_t due = std::min(total, (now_ns() - start_ns) * options.rate_per_s / 1000000000 + 1);
    for (; sent < due; ++sent) {
      max_lag_ns = std::max(max_lag_ns, now_ns() - due_ns(sent));
      produce_one(producer, topic, payload, reinterpret_cast<void*>(due_ns(sent)));
    }
    rd_kafka_poll(producer, 0);
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  double send_seconds = (now_ns() - start_ns) / 1e9;
  flush_all(producer);

  std::sort(stats.latencies_ns.begin(), stats.latencies_ns.end());
  std::printf("mode=latency topic=%s records=%" PRId64 " size_bytes=%" PRId64
              " acks=%s linger_ms=%d target_rate=%" PRId64 " achieved_rate=%.0f"
              " p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f max_send_lag_ms=%.3f delivery_errors=%" PRId64 "\n",
              options.topic.c_str(), sent, options.size_bytes, options.acks.c_str(), options.linger_ms,
              options.rate_per_s, sent / send_seconds, percentile_ms(stats.latencies_ns, 0.50),
              percentile_ms(stats.latencies_ns, 0.99), percentile_ms(stats.latencies_ns, 0.999),
              percentile_ms(stats.latencies_ns, 1.0), max_lag_ns / 1e6, stats.failed);
  print_errors(stats);
  rd_kafka_topic_destroy(topic);
  rd_kafka_destroy(producer);
  return stats.failed ? 1 : 0;
}

}  // namespace
}  // namespace freshet::bench

int main(int argc, char** argv) {
  using namespace freshet::bench;
  LoadOptions options = parse_load_options(argc, argv);
  if (options.mode == "produce") return run_produce(options);
  if (options.mode == "consume") return run_consume(options);
  if (options.mode == "txn") return run_txn(options);
  return run_latency(options);
}
