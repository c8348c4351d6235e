#include "cli/errors.h"

#include <CLI/Error.hpp>
#include <fmt/core.h>

#include <cstdio>
#include <exception>

namespace freshet::cli {
namespace {

// Codes whose Kafka name differs from librdkafka's (which abbreviates some), and codes newer
// than librdkafka 2.0.2 knows about.
struct NamedCode {
  int code;
  const char* name;
};
constexpr NamedCode kKafkaNames[] = {
    {0, "NONE"},
    {2, "CORRUPT_MESSAGE"},
    {3, "UNKNOWN_TOPIC_OR_PARTITION"},
    {4, "INVALID_FETCH_SIZE"},
    {6, "NOT_LEADER_OR_FOLLOWER"},
    {10, "MESSAGE_TOO_LARGE"},
    {11, "STALE_CONTROLLER_EPOCH"},
    {17, "INVALID_TOPIC_EXCEPTION"},
    {98, "SNAPSHOT_NOT_FOUND"},
    {99, "POSITION_OUT_OF_RANGE"},
    {100, "UNKNOWN_TOPIC_ID"},
    {101, "DUPLICATE_BROKER_REGISTRATION"},
    {102, "BROKER_ID_NOT_REGISTERED"},
    {103, "INCONSISTENT_TOPIC_ID"},
    {104, "INCONSISTENT_CLUSTER_ID"},
    {105, "TRANSACTIONAL_ID_NOT_FOUND"},
    {106, "FETCH_SESSION_TOPIC_ID_ERROR"},
};

// The highest Kafka error code librdkafka 2.0.2 names itself.
constexpr int kLastCodeKnownToLibrdkafka = 97;

std::string_view without_prefix(std::string_view text) {
  for (std::string_view prefix : {"Broker: ", "Local: "}) {
    if (text.substr(0, prefix.size()) == prefix) return text.substr(prefix.size());
  }
  return text;
}

}  // namespace

std::string kafka_error_name(rd_kafka_resp_err_t err) {
  for (const NamedCode& named : kKafkaNames) {
    if (named.code == err) return named.name;
  }
  if (err > kLastCodeKnownToLibrdkafka) return fmt::format("ERROR_{}", static_cast<int>(err));
  return rd_kafka_err2name(err);
}

std::string error_detail(rd_kafka_resp_err_t err, std::string_view detail) {
  return std::string(without_prefix(detail.empty() ? rd_kafka_err2str(err) : detail));
}

std::string topic_error_message(std::string_view topic, rd_kafka_resp_err_t err,
                                std::string_view detail) {
  const std::string name = kafka_error_name(err);
  switch (err) {
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
      return fmt::format("topic '{}' does not exist ({})", topic, name);
    case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
      return fmt::format("topic '{}' already exists ({})", topic, name);
    default:
      return fmt::format("topic '{}': {} ({})", topic, error_detail(err, detail), name);
  }
}

void run_reporting_errors(const std::function<void()>& command) {
  int exit_code = 0;
  try {
    command();
    return;
  } catch (const CommandError& e) {
    if (*e.what() != '\0') std::fprintf(stderr, "error: %s\n", e.what());
    exit_code = e.exit_code();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    exit_code = 1;
  }
  throw CLI::RuntimeError(exit_code);
}

}  // namespace freshet::cli
