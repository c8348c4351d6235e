#include "storage/meta_properties.h"

#include <fmt/format.h>

#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "storage/file_handle.h"
#include "storage/storage_error.h"

namespace freshet::storage {

namespace {
constexpr std::string_view kFileName = "meta.properties";
constexpr std::string_view kVersion = "1";

// Kafka reserves directory ids with hi == 0 and lo < 100 (unassigned, lost, migrating, ...).
bool reserved_directory_id(const protocol::Uuid& id) { return id.hi == 0 && id.lo < 100; }

protocol::Uuid new_directory_id() {
  protocol::Uuid id = protocol::Uuid::random();
  while (reserved_directory_id(id)) id = protocol::Uuid::random();
  return id;
}

std::string trim(std::string_view s) {
  size_t begin = s.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return "";
  size_t end = s.find_last_not_of(" \t\r");
  return std::string(s.substr(begin, end - begin + 1));
}

// "key=value" lines of a Java properties file; '#' and '!' start comments.
std::map<std::string, std::string> parse_properties(std::istream& in) {
  std::map<std::string, std::string> props;
  std::string line;
  while (std::getline(in, line)) {
    std::string text = trim(line);
    if (text.empty() || text[0] == '#' || text[0] == '!') continue;
    size_t eq = text.find_first_of("=:");
    if (eq == std::string::npos) continue;
    props[trim(std::string_view(text).substr(0, eq))] = trim(std::string_view(text).substr(eq + 1));
  }
  return props;
}
}  // namespace

std::optional<MetaProperties> read_meta_properties(const std::filesystem::path& dir) {
  auto path = dir / kFileName;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (ec) throw StorageError(fmt::format("cannot read {}: {}", path.string(), ec.message()));
    return std::nullopt;
  }
  std::ifstream in(path);
  if (!in) throw_errno("cannot read", path);
  auto props = parse_properties(in);
  MetaProperties meta;
  if (!props.count("cluster.id") || props["cluster.id"].empty())
    throw StorageError(fmt::format("cluster.id was not specified in {}", path.string()));
  meta.cluster_id = props["cluster.id"];
  // Version 0 files (ZooKeeper mode) call the node broker.id.
  std::string node = props.count("node.id") ? props["node.id"] : props.count("broker.id") ? props["broker.id"] : "";
  try {
    size_t used = 0;
    long value = std::stol(node, &used);
    if (used != node.size() || value < 0 || value > INT32_MAX) throw std::invalid_argument(node);
    meta.node_id = static_cast<int32_t>(value);
  } catch (const std::logic_error&) {
    throw StorageError(fmt::format("node.id was not specified in {}", path.string()));
  }
  if (props.count("directory.id")) {
    auto id = protocol::Uuid::from_base64(props["directory.id"]);
    if (!id) throw StorageError(fmt::format("invalid directory.id {} in {}", props["directory.id"], path.string()));
    meta.directory_id = *id;
  }
  return meta;
}

void write_meta_properties(const std::filesystem::path& dir, const MetaProperties& props) {
  std::string text = fmt::format("#\n#Written by freshet\nversion={}\ncluster.id={}\nnode.id={}\n", kVersion,
                                 props.cluster_id, props.node_id);
  if (!props.directory_id.is_zero()) text += fmt::format("directory.id={}\n", props.directory_id.to_base64());
  write_file_atomically(dir / kFileName, text);
  sync_directory(dir);
}

std::string claim_log_dirs(std::span<const std::filesystem::path> dirs, int32_t node_id,
                           std::string_view expected_cluster_id, std::string_view new_cluster_id) {
  std::string cluster_id(expected_cluster_id);
  std::vector<std::optional<MetaProperties>> found;
  std::map<std::pair<uint64_t, uint64_t>, std::filesystem::path> seen_ids;
  for (const auto& dir : dirs) {
    auto meta = read_meta_properties(dir);
    found.push_back(meta);
    if (!meta) continue;
    auto path = (dir / kFileName).string();
    if (cluster_id.empty()) {
      cluster_id = meta->cluster_id;
    } else if (meta->cluster_id != cluster_id) {
      throw StorageError(fmt::format("Invalid cluster.id in: {}. Expected {}, but read {}", path, cluster_id,
                                     meta->cluster_id));
    }
    if (meta->node_id != node_id)
      throw StorageError(fmt::format(
          "Stored node id {} doesn't match previous node id {} in {}. If you moved your data, make sure your "
          "configured node id matches. If you intend to create a new node, you should remove all data in your "
          "data directories.",
          meta->node_id, node_id, path));
    if (meta->directory_id.is_zero()) continue;
    if (reserved_directory_id(meta->directory_id))
      throw StorageError(fmt::format("Invalid reserved directory ID {} found in {}", meta->directory_id.to_base64(),
                                     dir.string()));
    auto [it, inserted] = seen_ids.emplace(std::pair{meta->directory_id.hi, meta->directory_id.lo}, dir);
    if (!inserted)
      throw StorageError(fmt::format("Duplicate directory ID {} found. It was the ID of {}, but also of {}",
                                     meta->directory_id.to_base64(), it->second.string(), dir.string()));
  }
  if (cluster_id.empty()) cluster_id = new_cluster_id;
  for (size_t i = 0; i < dirs.size(); ++i) {
    if (found[i] && !found[i]->directory_id.is_zero()) continue;
    MetaProperties meta{cluster_id, node_id, new_directory_id()};
    while (seen_ids.count({meta.directory_id.hi, meta.directory_id.lo})) meta.directory_id = new_directory_id();
    seen_ids.emplace(std::pair{meta.directory_id.hi, meta.directory_id.lo}, dirs[i]);
    write_meta_properties(dirs[i], meta);
  }
  return cluster_id;
}

}  // namespace freshet::storage
