#include "load_options.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace freshet::bench {
namespace {

[[noreturn]] void usage(const char* problem) {
  if (problem) std::fprintf(stderr, "freshet_load: %s\n", problem);
  std::fprintf(stderr,
               "usage:\n"
               "  freshet_load produce --brokers B --topic T --records N --size BYTES --acks 1|all\n"
               "                       [--linger-ms 1000] [--batch-size 1000000] [--compression none]\n"
               "  freshet_load consume --brokers B --topic T --records N\n"
               "  freshet_load latency --brokers B --topic T --rate 10000 --seconds 10 --size 100\n"
               "                       [--acks 1] [--linger-ms 0]\n"
               "  freshet_load txn --brokers B --topic T --producers P --transactions N\n"
               "                   --records-per-txn 100 --size 100 [--linger-ms 5]\n"
               "every mode: [-X librdkafka.property=value]...\n");
  std::exit(2);
}

int64_t to_int(const char* flag, const char* text) {
  char* end = nullptr;
  long long value = std::strtoll(text, &end, 10);
  if (*text == '\0' || *end != '\0' || value < 0) {
    std::fprintf(stderr, "freshet_load: %s wants a non-negative integer, got '%s'\n", flag, text);
    std::exit(2);
  }
  return value;
}

}  // namespace

LoadOptions parse_load_options(int argc, char** argv) {
  if (argc < 2) usage(nullptr);
  LoadOptions options;
  options.mode = argv[1];
  if (options.mode != "produce" && options.mode != "consume" && options.mode != "latency" &&
      options.mode != "txn") {
    usage("unknown mode");
  }
  for (int i = 2; i < argc; i += 2) {
    const char* flag = argv[i];
    if (i + 1 >= argc) usage("flag without a value");
    const char* value = argv[i + 1];
    if (!std::strcmp(flag, "--brokers")) options.brokers = value;
    else if (!std::strcmp(flag, "--topic")) options.topic = value;
    else if (!std::strcmp(flag, "--records")) options.records = to_int(flag, value);
    else if (!std::strcmp(flag, "--size")) options.size_bytes = to_int(flag, value);
    else if (!std::strcmp(flag, "--acks")) options.acks = value;
    else if (!std::strcmp(flag, "--linger-ms")) options.linger_ms = static_cast<int>(to_int(flag, value));
    else if (!std::strcmp(flag, "--batch-size")) options.batch_size_bytes = to_int(flag, value);
    else if (!std::strcmp(flag, "--compression")) options.compression = value;
    else if (!std::strcmp(flag, "--rate")) options.rate_per_s = to_int(flag, value);
    else if (!std::strcmp(flag, "--seconds")) options.seconds = to_int(flag, value);
    else if (!std::strcmp(flag, "--producers")) options.producers = static_cast<int>(to_int(flag, value));
    else if (!std::strcmp(flag, "--transactions")) options.transactions = to_int(flag, value);
    else if (!std::strcmp(flag, "--records-per-txn")) options.records_per_txn = to_int(flag, value);
    else if (!std::strcmp(flag, "-X")) {
      const char* equals = std::strchr(value, '=');
      if (!equals || equals == value) usage("-X wants key=value");
      options.properties.emplace_back(std::string(value, equals), std::string(equals + 1));
    } else usage("unknown flag");
  }
  if (options.topic.empty()) usage("--topic is required");
  if (options.linger_ms < 0) options.linger_ms = options.mode == "latency" ? 0 : options.mode == "txn" ? 5 : 1000;
  if (options.acks.empty()) options.acks = options.mode == "txn" ? "all" : "1";
  if (options.mode == "latency" && options.rate_per_s == 0) usage("--rate must be positive");
  if (options.mode == "txn" && (options.producers == 0 || options.producers > 1000)) {
    usage("--producers must be 1..1000");
  }
  return options;
}

}  // namespace freshet::bench
