// Errors of the storage layer.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace freshet::storage {

// An I/O failure or on-disk state the log cannot repair by itself (Kafka answers
// KAFKA_STORAGE_ERROR and takes the log dir offline).
class StorageError : public std::runtime_error {
 public:
  // `error_number`: the errno of the failed call, 0 when none.
  explicit StorageError(const std::string& what, int error_number = 0)
      : std::runtime_error(what), error_number_(error_number) {}
  int error_number() const { return error_number_; }
  // The file system is full (ENOSPC, EDQUOT): the same call may succeed
  // once space returns.
  bool out_of_space() const;

 private:
  int error_number_;
};

// Throws StorageError "<what> <path>: <strerror(errno)>".
[[noreturn]] void throw_errno(std::string_view what, const std::filesystem::path& path);

}  // namespace freshet::storage
