// Command-line options of `freshet_load`, the librdkafka load generator.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace freshet::bench {

struct LoadOptions {
  std::string mode;  // "produce", "consume", "latency" or "txn"
  std::string brokers = "127.0.0.1:9092";
  std::string topic;
  int64_t records = 1000000;   // produce / consume: how many records
  int64_t size_bytes = 100;    // produce / latency / txn: payload size of each record
  std::string acks;            // "0", "1" or "all"; empty: the mode's default (txn "all", else "1")
  int linger_ms = -1;          // -1: the mode's default (produce 1000 as rdkafka_performance, latency 0,
                               // txn 5 as librdkafka and the Java client)
  int64_t batch_size_bytes = 1000000;
  std::string compression = "none";
  int64_t rate_per_s = 10000;  // latency: records produced per second
  int64_t seconds = 10;        // latency: how long to produce
  int producers = 1;           // txn: producers, each with its own transactional.id
  int64_t transactions = 1000; // txn: transactions in all, shared among the producers
  int64_t records_per_txn = 100;
  // -X key=value: librdkafka properties applied after the mode's own, as
  // rdkafka_performance's -X does.
  std::vector<std::pair<std::string, std::string>> properties;
};

// Parses `argv` ("MODE --flag value ..."). Prints usage and exits(2) on bad input.
LoadOptions parse_load_options(int argc, char** argv);

}  // namespace freshet::bench
