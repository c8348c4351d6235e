// The partition directory's `partition.metadata` file (Kafka's text format):
//   version: 0
//   topic_id: <topic id, URL-safe base64 without padding>
// It ties the directory to one incarnation of the topic.
#pragma once

#include <filesystem>
#include <optional>

#include "protocol/wire.h"

namespace freshet::storage {

// Writes the file atomically (tmp, fsync, rename). Throws StorageError.
void write_partition_metadata(const std::filesystem::path& partition_dir, const protocol::Uuid& topic_id);
// The topic id in the file; nullopt when there is no file. Throws StorageError when malformed.
std::optional<protocol::Uuid> read_partition_metadata(const std::filesystem::path& partition_dir);

}  // namespace freshet::storage
