// `meta.properties`, Kafka's identity file in every log dir (KRaft, version 1):
// the cluster and node the dir belongs to and the dir's own id.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "protocol/wire.h"

namespace freshet::storage {

struct MetaProperties {
  std::string cluster_id;
  int32_t node_id = -1;
  protocol::Uuid directory_id;  // zero when the file has none (written before directory ids)

  friend bool operator==(const MetaProperties&, const MetaProperties&) = default;
};

// The dir's meta.properties, or nullopt when it has none. Throws StorageError
// when it cannot be read or lacks cluster.id / node.id.
std::optional<MetaProperties> read_meta_properties(const std::filesystem::path& dir);
// Replaces the dir's meta.properties durably (atomic rename + directory sync).
void write_meta_properties(const std::filesystem::path& dir, const MetaProperties& props);

// Makes `dirs` one node's dirs, as Kafka's start-up does: every meta.properties
// present must name the same cluster (`expected_cluster_id` when not empty)
// and `node_id`, and directory ids must be unique; then dirs without the file
// (or without a directory.id) get one, with a fresh directory.id. Returns the
// cluster id: the stored one, else `expected_cluster_id`, else
// `new_cluster_id`. Throws StorageError with Kafka's readable messages.
std::string claim_log_dirs(std::span<const std::filesystem::path> dirs, int32_t node_id,
                           std::string_view expected_cluster_id, std::string_view new_cluster_id);

}  // namespace freshet::storage
