#include "cli/client.h"

#include <fmt/core.h>

#include "cli/errors.h"
#include "cli/key_value.h"

namespace freshet::cli {
namespace {

void set_or_throw(rd_kafka_conf_t* conf, const std::string& key, const std::string& value) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof errstr) !=
      RD_KAFKA_CONF_OK) {
    throw CommandError(fmt::format("invalid client setting {}={}: {}", key, value, errstr));
  }
}

}  // namespace

Client::Client(rd_kafka_type_t type, const ConnectionOptions& options, const Settings& settings,
               const ConfigHook& hook)
    : brokers_(options.brokers), state_(std::make_unique<ConnectionState>()) {
  // Parse the user's settings before allocating anything, so a typo fails cleanly.
  const std::vector<KeyValue> user_settings =
      parse_key_values(options.client_settings, "client setting");
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  try {
    set_or_throw(conf, "bootstrap.servers", options.brokers);
    set_or_throw(conf, "client.id", "freshet-cli");
    for (const auto& [key, value] : settings) set_or_throw(conf, key, value);
    bool debugging = false;
    for (const KeyValue& setting : user_settings) {
      set_or_throw(conf, setting.key, setting.value);
      debugging |= setting.key == "debug";
    }
    if (!debugging) rd_kafka_conf_set_log_cb(conf, nullptr);
    rd_kafka_conf_set_error_cb(conf, &Client::on_error);
    rd_kafka_conf_set_opaque(conf, state_.get());
    if (hook) hook(conf);
  } catch (...) {
    rd_kafka_conf_destroy(conf);
    throw;
  }
  char errstr[512];
  handle_ = rd_kafka_new(type, conf, errstr, sizeof errstr);  // owns conf on success
  if (handle_ == nullptr) {
    rd_kafka_conf_destroy(conf);
    throw CommandError(fmt::format("cannot create a Kafka client: {}", errstr));
  }
}

Client::~Client() {
  // `consume --group` closes its consumer (leaving the group) itself before this runs.
  rd_kafka_destroy_flags(handle_, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
}

void Client::on_error(rd_kafka_t* handle, int err, const char* reason, void* opaque) {
  auto* state = static_cast<ConnectionState*>(opaque);
  if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
    state->all_brokers_down = true;
  } else {
    state->last_error = reason;
  }
}

void Client::throw_if_unreachable() {
  rd_kafka_poll(handle_, 0);
  if (!state_->all_brokers_down) return;
  std::string message = fmt::format("cannot reach any broker at {}", brokers_);
  if (!state_->last_error.empty()) message += fmt::format(" ({})", state_->last_error);
  throw CommandError(message);
}

}  // namespace freshet::cli
