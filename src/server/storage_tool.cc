#include "server/storage_tool.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "cluster/clock.h"
#include "cluster/internal_topics.h"
#include "cluster/snapshot_store.h"
#include "cluster/voter_records.h"
#include "protocol/wire.h"
#include "storage/meta_properties.h"

namespace freshet::server {

namespace {
// The first voters of a dynamic quorum as the flags name them (none for a
// static quorum or a broker), with this node's own among them.
std::vector<cluster::QuorumVoter> initial_voters(const cluster::BrokerConfig& config, const InitialControllers& initial) {
  const int flags = int{initial.standalone} + int{initial.listed.has_value()} + int{initial.none};
  if (flags > 1)
    throw std::runtime_error("Only one of --standalone, --initial-controllers and --no-initial-controllers may be given");
  if (!config.dynamic_quorum() || !config.is_controller()) {
    if (flags > 0)
      throw std::runtime_error(config.is_controller()
                                   ? "You cannot use --standalone, --initial-controllers or --no-initial-controllers "
                                     "with controller.quorum.voters: the voters are static"
                                   : "--standalone, --initial-controllers and --no-initial-controllers are for "
                                     "controllers, not brokers");
    return {};
  }
  if (flags == 0)
    throw std::runtime_error("Because controller.quorum.voters is not set on this controller, you must specify one of "
                             "the following: --standalone, --initial-controllers, or --no-initial-controllers.");
  if (initial.none) return {};
  if (initial.standalone) {
    const auto address = config.advertised_listener(config.controller_listener_name());
    return {{config.node_id(), address.host, address.port, protocol::Uuid::random()}};
  }
  auto voters = cluster::parse_initial_controllers(*initial.listed);
  if (std::none_of(voters.begin(), voters.end(), [&](const cluster::QuorumVoter& v) { return v.id == config.node_id(); }))
    throw std::runtime_error(fmt::format("--initial-controllers does not list this node (node.id={})", config.node_id()));
  return voters;
}
}  // namespace

std::vector<std::string> format_storage(const cluster::BrokerConfig& config, const std::string& cluster_id,
                                        bool ignore_formatted, const InitialControllers& initial) {
  auto parsed = protocol::Uuid::from_base64(cluster_id);
  if (!parsed || parsed->is_zero())
    throw std::runtime_error(fmt::format("Cluster ID string {} does not appear to be a valid UUID", cluster_id));
  const auto voters = initial_voters(config, initial);
  const std::filesystem::path metadata_dir =
      config.get("metadata.log.dir").empty() ? config.log_dirs().front() : config.get("metadata.log.dir");
  std::vector<std::filesystem::path> dirs;
  for (const auto& dir : config.log_dirs()) dirs.emplace_back(dir);
  if (!config.get("metadata.log.dir").empty()) dirs.emplace_back(config.get("metadata.log.dir"));
  std::sort(dirs.begin(), dirs.end());
  dirs.erase(std::unique(dirs.begin(), dirs.end()), dirs.end());

  std::vector<std::filesystem::path> to_format;
  for (const auto& dir : dirs) {
    if (!storage::read_meta_properties(dir)) {
      to_format.push_back(dir);
    } else if (!ignore_formatted) {
      throw std::runtime_error(fmt::format(
          "Log directory {} is already formatted. Use --ignore-formatted to ignore this directory and format the "
          "others.",
          dir.string()));
    }
  }
  if (to_format.empty()) throw std::runtime_error("All of the log directories are already formatted.");
  std::vector<std::string> lines;
  for (const auto& dir : to_format) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw std::runtime_error(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
    protocol::Uuid directory_id = protocol::Uuid::random();
    const bool holds_metadata = dir == metadata_dir;
    if (holds_metadata)
      for (const auto& voter : voters)
        if (voter.id == config.node_id()) directory_id = voter.directory_id;
    storage::write_meta_properties(dir, {cluster_id, config.node_id(), directory_id});
    lines.push_back(fmt::format("Formatting {} with cluster.id {} and node.id {}.", dir.string(), cluster_id,
                                config.node_id()));
    if (holds_metadata && !voters.empty()) {
      cluster::SnapshotStore(dir / (std::string(cluster::kMetadataTopicName) + "-0"))
          .write_bootstrap(voters, config.controller_listener_name(), cluster::wall_clock_ms());
      lines.push_back(fmt::format("Wrote the first {} voter(s) of the metadata quorum into {}.", voters.size(),
                                  dir.string()));
    }
  }
  return lines;
}

}  // namespace freshet::server
