#include "load_producer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace freshet::bench {
namespace {

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  auto* stats = static_cast<DeliveryStats*>(opaque);
  bool last = stats->delivered + stats->failed + 1 == stats->expected_reports;
  int64_t now = stats->record_latency || last ? now_ns() : 0;
  if (now) stats->last_report_ns = now;
  if (message->err) {
    if (stats->failed++ == 0) stats->first_error = rd_kafka_err2str(message->err);
    return;
  }
  ++stats->delivered;
  if (stats->record_latency) {
    stats->latencies_ns.push_back(now - reinterpret_cast<int64_t>(message->_private));
  }
}

}  // namespace

int64_t now_ns() {
  using Clock = std::chrono::steady_clock;
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

void die(const std::string& what) {
  std::fprintf(stderr, "freshet_load: %s\n", what.c_str());
  std::exit(1);
}

void set(rd_kafka_conf_t* conf, const char* key, const std::string& value) {
  char error[512];
  if (rd_kafka_conf_set(conf, key, value.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK) {
    die(std::string("config ") + key + "=" + value + ": " + error);
  }
}

void set_properties(rd_kafka_conf_t* conf, const LoadOptions& options) {
  for (const auto& [key, value] : options.properties) set(conf, key.c_str(), value);
}

rd_kafka_t* make_producer(const LoadOptions& options, DeliveryStats* stats,
                          const std::vector<std::pair<std::string, std::string>>& extra) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", options.brokers);
  set(conf, "acks", options.acks);
  set(conf, "linger.ms", std::to_string(options.linger_ms));
  set(conf, "batch.size", std::to_string(options.batch_size_bytes));
  set(conf, "compression.codec", options.compression);
  set(conf, "message.timeout.ms", "120000");
  for (const auto& [key, value] : extra) set(conf, key.c_str(), value);
  set_properties(conf, options);
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_conf_set_opaque(conf, stats);
  char error[512];
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  if (!producer) die(std::string("rd_kafka_new: ") + error);
  return producer;
}

void produce_one(rd_kafka_t* producer, rd_kafka_topic_t* topic, const std::vector<char>& payload,
                 void* opaque) {
  while (rd_kafka_produce(topic, 0, 0, const_cast<char*>(payload.data()), payload.size(), nullptr, 0,
                          opaque) == -1) {
    rd_kafka_resp_err_t err = rd_kafka_last_error();
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) die(std::string("produce: ") + rd_kafka_err2str(err));
    rd_kafka_poll(producer, 1);
  }
}

void flush_all(rd_kafka_t* producer) {
  if (rd_kafka_flush(producer, 180000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    die("flush timed out with " + std::to_string(rd_kafka_outq_len(producer)) + " records in flight");
  }
}

void print_errors(const DeliveryStats& stats) {
  if (stats.failed) std::fprintf(stderr, "freshet_load: first delivery error: %s\n", stats.first_error.c_str());
}

double percentile_ms(const std::vector<int64_t>& sorted_ns, double fraction) {
  if (sorted_ns.empty()) return 0;
  size_t index = std::min(sorted_ns.size() - 1, static_cast<size_t>(fraction * sorted_ns.size()));
  return sorted_ns[index] / 1e6;
}

}  // namespace freshet::bench
