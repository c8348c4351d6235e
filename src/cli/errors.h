// Errors of the operator CLI: one exception type for "the command failed, tell the user why", Kafka
// error names, and the boundary that turns a failure into a message on stderr plus an exit code.
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace freshet::cli {

// A command failed. `what()` is one sentence for the user, printed after "error: "; an empty
// message means the command has already printed its errors and only the exit code remains.
class CommandError : public std::runtime_error {
 public:
  explicit CommandError(const std::string& message, int exit_code = 1)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// Kafka's protocol name of an error code ("UNKNOWN_TOPIC_OR_PARTITION", "MESSAGE_TOO_LARGE"); for
// librdkafka's local errors (negative codes) its own name, which starts with '_' ("_TIMED_OUT").
std::string kafka_error_name(rd_kafka_resp_err_t err);
// kafka_error_name of an error code read from a raw protocol response.
inline std::string protocol_error_name(int16_t code) {
  return kafka_error_name(static_cast<rd_kafka_resp_err_t>(code));
}

// `detail` if it is not empty, else librdkafka's description of `err`; either without a leading
// "Broker: " or "Local: ".
std::string error_detail(rd_kafka_resp_err_t err, std::string_view detail);

// One sentence about `err` concerning `topic`, e.g. "topic 'x' does not exist
// (UNKNOWN_TOPIC_OR_PARTITION)". `detail` is the broker's or librdkafka's message, used where no
// better phrase is known.
std::string topic_error_message(std::string_view topic, rd_kafka_resp_err_t err,
                                std::string_view detail);

// Runs `command`. If it throws, prints "error: <what>" (unless empty) to stderr and throws
// CLI::RuntimeError(exit code) so that CLI11's App::exit returns that code without more output.
void run_reporting_errors(const std::function<void()>& command);

}  // namespace freshet::cli
