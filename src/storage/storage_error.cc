#include "storage/storage_error.h"

#include <cerrno>
#include <cstring>
#include <string>

namespace freshet::storage {

void throw_errno(std::string_view what, const std::filesystem::path& path) {
  int err = errno;
  throw StorageError(std::string(what) + " " + path.string() + ": " + std::strerror(err));
}

}  // namespace freshet::storage
