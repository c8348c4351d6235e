#include "storage/partition_metadata.h"

#include <fstream>
#include <string>
#include <system_error>

#include "storage/file_handle.h"
#include "storage/log_file_names.h"
#include "storage/storage_error.h"

namespace freshet::storage {

namespace {
constexpr std::string_view kVersionPrefix = "version:";
constexpr std::string_view kTopicIdPrefix = "topic_id:";

// The value after "<prefix>" and whitespace, or nullopt when `line` has another key.
std::optional<std::string> value_after(const std::string& line, std::string_view prefix) {
  if (!std::string_view(line).starts_with(prefix)) return std::nullopt;
  auto start = line.find_first_not_of(" \t", prefix.size());
  auto end = line.find_last_not_of(" \t\r");
  if (start == std::string::npos || start == prefix.size()) return std::nullopt;
  return line.substr(start, end - start + 1);
}
}  // namespace

void write_partition_metadata(const std::filesystem::path& partition_dir, const protocol::Uuid& topic_id) {
  std::string text = "version: 0\ntopic_id: " + topic_id.to_base64() + "\n";
  auto path = partition_dir / kPartitionMetadataFileName;
  write_file_atomically(path, text);
}

std::optional<protocol::Uuid> read_partition_metadata(const std::filesystem::path& partition_dir) {
  auto path = partition_dir / kPartitionMetadataFileName;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::nullopt;
  std::ifstream in(path);
  std::string version_line, topic_id_line;
  if (!in || !std::getline(in, version_line) || !std::getline(in, topic_id_line))
    throw StorageError("malformed " + path.string());
  auto version = value_after(version_line, kVersionPrefix);
  auto topic_id_text = value_after(topic_id_line, kTopicIdPrefix);
  if (!version || *version != "0" || !topic_id_text) throw StorageError("malformed " + path.string());
  auto topic_id = protocol::Uuid::from_base64(*topic_id_text);
  if (!topic_id) throw StorageError("malformed topic id in " + path.string());
  return topic_id;
}

}  // namespace freshet::storage
