// Creation of librdkafka handles for the operator CLI, and detection of unreachable brokers.
#pragma once

#include <librdkafka/rdkafka.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cli/connection_options.h"

namespace freshet::cli {

// How long a metadata or admin request may take before the command gives up.
inline constexpr int kRequestTimeoutMs = 10000;
// Commands wait on librdkafka in slices this long, checking for unreachable brokers and
// stop signals between.
inline constexpr int kPollSliceMs = 100;

// Owning pointers to librdkafka objects.
template <typename T, void (*Destroy)(T*)>
struct Deleter {
  void operator()(T* object) const { Destroy(object); }
};
template <typename T, void (*Destroy)(T*)>
using Owned = std::unique_ptr<T, Deleter<T, Destroy>>;
using PartitionListPtr = Owned<rd_kafka_topic_partition_list_t, rd_kafka_topic_partition_list_destroy>;

// One librdkafka handle (producer or consumer). librdkafka's own logging is off unless the user
// sets -X debug=...; connection errors are collected instead and reported by
// throw_if_unreachable().
class Client {
 public:
  using Settings = std::vector<std::pair<std::string, std::string>>;
  // Called on the configuration just before the handle is created, e.g. to install callbacks.
  using ConfigHook = std::function<void(rd_kafka_conf_t*)>;

  // `settings` are the command's defaults; the user's -X settings are applied after them and
  // win. Throws CommandError if a setting is invalid or the handle cannot be created.
  Client(rd_kafka_type_t type, const ConnectionOptions& options, const Settings& settings,
         const ConfigHook& hook = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  rd_kafka_t* handle() const { return handle_; }
  const std::string& brokers() const { return brokers_; }

  // Serves the handle's pending callbacks, then throws CommandError naming the brokers and the
  // last connection error if librdkafka reported that none of them can be reached.
  void throw_if_unreachable();

 private:
  struct ConnectionState {
    bool all_brokers_down = false;
    std::string last_error;
  };
  static void on_error(rd_kafka_t* handle, int err, const char* reason, void* opaque);

  std::string brokers_;
  std::unique_ptr<ConnectionState> state_;  // the error callback's opaque: a stable address
  rd_kafka_t* handle_ = nullptr;
};

// A handle for metadata and admin requests (librdkafka runs admin requests on a producer-type
// handle). Unlike a producer, it never creates a topic by asking about it.
class AdminClient : public Client {
 public:
  explicit AdminClient(const ConnectionOptions& options)
      : Client(RD_KAFKA_PRODUCER, options, {{"allow.auto.create.topics", "false"}}) {}
};

}  // namespace freshet::cli
