// `freshet`: `freshet server` runs a node; every other subcommand is the
// operator's CLI (src/cli/).
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <thread>

#include "cli/commands.h"
#include "protocol/wire.h"
#include "server/broker.h"
#include "server/storage_tool.h"

namespace {

struct ServerOptions {
  std::optional<std::string> config_path;
  std::vector<std::string> overrides;
  unsigned smp = 0;
  std::string log_level = "info";
};

// Every segment keeps its .log open (as in Kafka): allow as many files as the
// hard limit does.
void raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

int run_server(const ServerOptions& options) {
  spdlog::set_level(spdlog::level::from_str(options.log_level));
  raise_open_file_limit();
  std::vector<std::string> unknown;
  auto config = freshet::cluster::BrokerConfig::load(options.config_path, options.overrides, &unknown);
  for (const auto& key : unknown) spdlog::warn("unknown configuration key '{}' is ignored", key);
  for (const auto& note : config.inert_settings()) spdlog::warn("configuration: {}", note);

  // Signals are taken synchronously by this thread; shard threads inherit the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  unsigned smp = options.smp ? options.smp : std::max(1u, std::thread::hardware_concurrency());
  freshet::server::Broker broker(std::move(config), smp);
  broker.start();
  int signal = 0;
  sigwait(&signals, &signal);
  spdlog::info("received {}, shutting down", signal == SIGTERM ? "SIGTERM" : "SIGINT");
  broker.stop();
  return 0;
}

struct FormatOptions {
  std::optional<std::string> config_path;
  std::vector<std::string> overrides;
  std::string cluster_id;
  bool ignore_formatted = false;
  freshet::server::InitialControllers initial;
};

// `freshet storage random-uuid|format`, as kafka-storage.sh.
void add_storage_commands(CLI::App& app, FormatOptions& options) {
  auto* storage = app.add_subcommand("storage", "Prepare a node's log dirs for a cluster (kafka-storage.sh)");
  storage->require_subcommand(1);
  storage->add_subcommand("random-uuid", "Print a new cluster id")->callback([] {
    std::puts(freshet::protocol::Uuid::random().to_base64().c_str());
  });
  auto* format = storage->add_subcommand("format", "Write meta.properties for a cluster into every log dir");
  format->add_option("-t,--cluster-id", options.cluster_id, "The cluster's id (freshet storage random-uuid)")
      ->required();
  format->add_option("-c,--config", options.config_path, "The node's server.properties");
  format->add_option("--set", options.overrides, "Override a config key: --set key=value (repeatable)");
  format->add_flag("-g,--ignore-formatted", options.ignore_formatted, "Skip dirs already formatted");
  format->add_flag("-s,--standalone", options.initial.standalone,
                   "A dynamic quorum's controller: this node is its first and only voter");
  format->add_option("-I,--initial-controllers", options.initial.listed,
                     "A dynamic quorum's first voters: id@host:port:directory-id,...");
  format->add_flag("-N,--no-initial-controllers", options.initial.none,
                   "A dynamic quorum's controller that joins it later (kafka-metadata-quorum.sh add-controller)");
  format->callback([&options] {
    try {
      auto config = freshet::cluster::BrokerConfig::load(options.config_path, options.overrides, nullptr);
      for (const auto& line : freshet::server::format_storage(config, options.cluster_id, options.ignore_formatted,
                                                                       options.initial))
        std::puts(line.c_str());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s\n", e.what());
      throw CLI::RuntimeError(1);
    }
  });
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Freshet: a Kafka-compatible event streaming platform"};
  app.require_subcommand(1);

  ServerOptions options;
  auto* server = app.add_subcommand("server", "Run a node (single-node broker + controller by default)");
  server->add_option("-c,--config", options.config_path, "Kafka-style server.properties file");
  server->add_option("--set", options.overrides, "Override a config key: --set key=value (repeatable)");
  server->add_option("--smp", options.smp, "Number of shards (reactor threads); default: all cores");
  server->add_option("--log-level", options.log_level, "trace|debug|info|warn|error")->capture_default_str();
  server->callback([&] {
    try {
      run_server(options);
    } catch (const std::exception& e) {
      spdlog::critical("{}", e.what());
      throw CLI::RuntimeError(1);
    }
  });

  FormatOptions format_options;
  add_storage_commands(app, format_options);
  freshet::cli::add_client_commands(app);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
