#include "server/storage_tool.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "protocol/wire.h"
#include "storage/meta_properties.h"

namespace freshet::server {

std::vector<std::string> format_storage(const cluster::BrokerConfig& config, const std::string& cluster_id,
                                        bool ignore_formatted) {
  auto parsed = protocol::Uuid::from_base64(cluster_id);
  if (!parsed || parsed->is_zero())
    throw std::runtime_error(fmt::format("Cluster ID string {} does not appear to be a valid UUID", cluster_id));
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
    storage::write_meta_properties(dir, {cluster_id, config.node_id(), protocol::Uuid::random()});
    lines.push_back(fmt::format("Formatting {} with cluster.id {} and node.id {}.", dir.string(), cluster_id,
                                config.node_id()));
  }
  return lines;
}

}  // namespace freshet::server
