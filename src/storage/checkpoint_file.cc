#include "storage/checkpoint_file.h"

#include <charconv>
#include <fstream>
#include <sstream>
#include <system_error>

#include "storage/file_handle.h"
#include "storage/storage_error.h"

namespace freshet::storage {

void write_checkpoint_file(const std::filesystem::path& path, int32_t version,
                           const std::vector<CheckpointEntry>& entries) {
  std::string text = std::to_string(version) + "\n" + std::to_string(entries.size()) + "\n";
  for (const auto& entry : entries) {
    for (size_t i = 0; i < entry.size(); ++i) text += (i ? " " : "") + entry[i];
    text += "\n";
  }
  write_file_atomically(path, text);
}

std::optional<std::vector<CheckpointEntry>> read_checkpoint_file(const std::filesystem::path& path, int32_t version,
                                                                size_t fields_per_entry) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::nullopt;
  std::ifstream in(path);
  if (!in) throw StorageError("cannot read " + path.string());
  auto malformed = [&](const std::string& why) { return StorageError("malformed checkpoint " + path.string() + ": " + why); };

  std::string line;
  if (!std::getline(in, line) || parse_checkpoint_number(line, path) != version)
    throw malformed("unsupported version '" + line + "'");
  if (!std::getline(in, line)) throw malformed("missing entry count");
  int64_t count = parse_checkpoint_number(line, path);
  if (count < 0) throw malformed("negative entry count");

  std::vector<CheckpointEntry> entries;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::istringstream fields(line);
    CheckpointEntry entry;
    for (std::string field; fields >> field;) entry.push_back(std::move(field));
    if (entry.size() != fields_per_entry) throw malformed("bad entry '" + line + "'");
    entries.push_back(std::move(entry));
  }
  if (static_cast<int64_t>(entries.size()) != count)
    throw malformed("expected " + std::to_string(count) + " entries, found " + std::to_string(entries.size()));
  return entries;
}

int64_t parse_checkpoint_number(const std::string& field, const std::filesystem::path& path) {
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
  if (ec != std::errc() || ptr != field.data() + field.size() || field.empty())
    throw StorageError("malformed checkpoint " + path.string() + ": '" + field + "' is not a number");
  return value;
}

}  // namespace freshet::storage
