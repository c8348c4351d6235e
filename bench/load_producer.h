// librdkafka helpers shared by freshet_load's modes: configuration, a producer
// with the load options applied, enqueueing with back-pressure, delivery counts.
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <string>
#include <vector>

#include "load_options.h"

namespace freshet::bench {

int64_t now_ns();  // steady clock

// Prints "freshet_load: <what>" on stderr and exits 1.
[[noreturn]] void die(const std::string& what);

// Sets one librdkafka property; dies if librdkafka refuses it.
void set(rd_kafka_conf_t* conf, const char* key, const std::string& value);

// Applies the -X properties, after the mode's own settings.
void set_properties(rd_kafka_conf_t* conf, const LoadOptions& options);

// Counters and (for latency mode) per-record latencies, filled by the delivery
// report callback, which runs on the thread calling rd_kafka_poll/flush (or
// rd_kafka_commit_transaction, which flushes).
struct DeliveryStats {
  int64_t delivered = 0;
  int64_t failed = 0;
  std::string first_error;
  int64_t expected_reports = 0;  // last_report_ns is taken when the last one arrives...
  int64_t last_report_ns = 0;
  bool record_latency = false;   // ...or at every report, with its latency
  std::vector<int64_t> latencies_ns;
};

// A producer with the options' acks/linger/batch/compression, `extra` properties
// (set before the -X ones) and delivery reports counted in `stats`. The local queue
// keeps librdkafka's default bounds (100000 messages, 1 GiB), as
// rdkafka_performance does: the application blocks on a full queue and
// librdkafka reuses warm memory. (Unbounded queues let the application run
// ahead and allocate every message afresh: page faults cost the client more
// CPU than the broker spends.)
rd_kafka_t* make_producer(const LoadOptions& options, DeliveryStats* stats,
                          const std::vector<std::pair<std::string, std::string>>& extra = {});

// Enqueues one record for partition 0, polling while the local queue is full.
// `payload` is not copied: it must outlive the delivery report.
void produce_one(rd_kafka_t* producer, rd_kafka_topic_t* topic, const std::vector<char>& payload,
                 void* opaque);

// Waits for every outstanding delivery report; dies if they do not come.
void flush_all(rd_kafka_t* producer);

// Prints the first delivery error, if there was one, on stderr.
void print_errors(const DeliveryStats& stats);

// The value at `fraction` (0..1) of ascending `sorted_ns`, in milliseconds; 0 if empty.
double percentile_ms(const std::vector<int64_t>& sorted_ns, double fraction);

}  // namespace freshet::bench
