// Kafka's checkpoint text files: a version line, a count line, then `count`
// entry lines of space-separated fields. Used for leader-epoch-checkpoint
// ("epoch start_offset"), recovery-point-offset-checkpoint and
// log-start-offset-checkpoint ("topic partition offset").
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace freshet::storage {

using CheckpointEntry = std::vector<std::string>;

// Writes atomically: <path>.tmp, fsync, rename over `path`. The caller syncs
// the directory when the rename itself must be durable. Throws StorageError.
void write_checkpoint_file(const std::filesystem::path& path, int32_t version,
                           const std::vector<CheckpointEntry>& entries);

// The entries, or nullopt when the file does not exist. Throws StorageError
// when it is malformed: another version, a count that does not match, or a
// line without exactly `fields_per_entry` fields.
std::optional<std::vector<CheckpointEntry>> read_checkpoint_file(const std::filesystem::path& path, int32_t version,
                                                                size_t fields_per_entry);

// Parses a decimal integer field of `path`; throws StorageError when it is not one.
int64_t parse_checkpoint_number(const std::string& field, const std::filesystem::path& path);

}  // namespace freshet::storage
