#include "storage/storage_error.h"

#include <cerrno>
#include <cstring>
#include <string>

namespace freshet::storage {

bool StorageError::out_of_space() const { return error_number_ == ENOSPC || error_number_ == EDQUOT; }

void throw_errno(std::string_view what, const std::filesystem::path& path) {
  int err = errno;
  throw StorageError(std::string(what) + " " + path.string() + ": " + std::strerror(err), err);
}

}  // namespace freshet::storage
