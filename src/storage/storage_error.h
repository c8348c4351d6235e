// Errors of the storage layer.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string_view>

namespace freshet::storage {

// An I/O failure or on-disk state the log cannot repair by itself (Kafka answers
// KAFKA_STORAGE_ERROR and takes the log dir offline).
class StorageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws StorageError "<what> <path>: <strerror(errno)>".
[[noreturn]] void throw_errno(std::string_view what, const std::filesystem::path& path);

}  // namespace freshet::storage
