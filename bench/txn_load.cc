#include "txn_load.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <cassert>
#include <cinttypes>
#include <cstdio>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "load_producer.h"

namespace freshet::bench {
namespace {

// How long a transaction API call may take. transaction.timeout.ms must be at
// least make_producer's message.timeout.ms (120 s).
constexpr int kCallTimeoutMs = 60000;
constexpr const char* kTransactionTimeoutMs = "120000";

// Dies with `what` and the error's text unless `error` is null (success).
void check(rd_kafka_error_t* error, const char* what) {
  if (!error) return;
  std::string text = std::string(what) + ": " + rd_kafka_error_string(error);
  rd_kafka_error_destroy(error);
  die(text);
}

constexpr int kMaxCommitAttempts = 5;

// Commits, calling again after a retriable error (librdkafka's advice) up to
// kMaxCommitAttempts times in all; dies on any other error or the last one.
void commit(rd_kafka_t* producer) {
  for (int attempt = 1;; ++attempt) {
    rd_kafka_error_t* error = rd_kafka_commit_transaction(producer, kCallTimeoutMs);
    if (!error) return;
    if (!rd_kafka_error_is_retriable(error) || attempt == kMaxCommitAttempts) check(error, "commit_transaction");
    rd_kafka_error_destroy(error);
  }
}

// One producer's share of the run: `transactions` transactions after
// init_transactions and the common start. Fills `stats` and, per
// transaction, `durations_ns` (begin to commit returned).
void run_producer(const LoadOptions& options, int index, int64_t transactions, std::latch& start,
                  DeliveryStats& stats, std::vector<int64_t>& durations_ns) {
  std::string transactional_id = "freshet-load-" + options.topic + "-" + std::to_string(index);
  rd_kafka_t* producer = make_producer(
      options, &stats, {{"transactional.id", transactional_id}, {"transaction.timeout.ms", kTransactionTimeoutMs}});
  rd_kafka_topic_t* topic = rd_kafka_topic_new(producer, options.topic.c_str(), nullptr);
  std::vector<char> payload(options.size_bytes, 'x');
  durations_ns.reserve(transactions);
  check(rd_kafka_init_transactions(producer, kCallTimeoutMs), "init_transactions");
  start.arrive_and_wait();

  for (int64_t t = 0; t < transactions; ++t) {
    int64_t begin_ns = now_ns();
    check(rd_kafka_begin_transaction(producer), "begin_transaction");
    for (int64_t r = 0; r < options.records_per_txn; ++r) produce_one(producer, topic, payload, nullptr);
    commit(producer);
    durations_ns.push_back(now_ns() - begin_ns);
  }
  rd_kafka_topic_destroy(topic);
  rd_kafka_destroy(producer);
}

}  // namespace

int run_txn(const LoadOptions& options) {
  int producers = options.producers;
  assert(producers > 0);
  std::vector<DeliveryStats> stats(producers);
  std::vector<std::vector<int64_t>> durations_ns(producers);
  std::latch start(producers + 1);
  std::vector<std::thread> threads;
  for (int i = 0; i < producers; ++i) {
    int64_t share = options.transactions / producers + (i < options.transactions % producers ? 1 : 0);
    threads.emplace_back(run_producer, std::cref(options), i, share, std::ref(start), std::ref(stats[i]),
                         std::ref(durations_ns[i]));
  }
  start.arrive_and_wait();
  int64_t start_ns = now_ns();
  for (auto& thread : threads) thread.join();
  double seconds = (now_ns() - start_ns) / 1e9;

  int64_t delivered = 0, failed = 0;
  std::vector<int64_t> all_durations_ns;
  for (int i = 0; i < producers; ++i) {
    delivered += stats[i].delivered;
    failed += stats[i].failed;
    print_errors(stats[i]);
    all_durations_ns.insert(all_durations_ns.end(), durations_ns[i].begin(), durations_ns[i].end());
  }
  std::sort(all_durations_ns.begin(), all_durations_ns.end());
  int64_t committed = static_cast<int64_t>(all_durations_ns.size());
  assert(committed == options.transactions);
  std::printf("mode=txn topic=%s producers=%d transactions=%" PRId64 " records_per_txn=%" PRId64
              " size_bytes=%" PRId64 " linger_ms=%d seconds=%.3f txns_per_s=%.1f msgs_per_s=%.0f"
              " mb_per_s=%.1f txn_p50_ms=%.3f txn_p99_ms=%.3f txn_max_ms=%.3f delivered=%" PRId64
              " delivery_errors=%" PRId64 "\n",
              options.topic.c_str(), producers, committed, options.records_per_txn, options.size_bytes,
              options.linger_ms, seconds, committed / seconds, delivered / seconds,
              delivered * static_cast<double>(options.size_bytes) / 1e6 / seconds,
              percentile_ms(all_durations_ns, 0.50), percentile_ms(all_durations_ns, 0.99),
              percentile_ms(all_durations_ns, 1.0), delivered, failed);
  bool complete = delivered == committed * options.records_per_txn;
  if (!complete) std::fprintf(stderr, "freshet_load: %" PRId64 " records delivered, expected %" PRId64 "\n",
                              delivered, committed * options.records_per_txn);
  return failed == 0 && complete ? 0 : 1;
}

}  // namespace freshet::bench
