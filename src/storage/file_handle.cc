#include "storage/file_handle.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "storage/log_file_names.h"
#include "storage/storage_error.h"

namespace freshet::storage {

std::shared_ptr<FileHandle> FileHandle::open(const std::filesystem::path& path, bool create) {
  int flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0);
  int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) throw_errno("cannot open", path);
  return std::shared_ptr<FileHandle>(new FileHandle(fd, path, false));
}

std::shared_ptr<FileHandle> FileHandle::open_directory(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw_errno("cannot open directory", path);
  return std::shared_ptr<FileHandle>(new FileHandle(fd, path, true));
}

FileHandle::~FileHandle() { ::close(fd_); }

void FileHandle::write_at(std::span<const uint8_t> data, uint64_t position) {
  while (!data.empty()) {
    ssize_t n = ::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(position));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("write failed on", path_);
    }
    data = data.subspan(static_cast<size_t>(n));
    position += static_cast<uint64_t>(n);
  }
}

size_t FileHandle::read_at(std::span<uint8_t> out, uint64_t position) const {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(position + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("read failed on", path_);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

uint64_t FileHandle::size_bytes() const {
  struct stat st;
  if (::fstat(fd_, &st) != 0) throw_errno("stat failed on", path_);
  return static_cast<uint64_t>(st.st_size);
}

void FileHandle::truncate(uint64_t size_bytes) {
  if (::ftruncate(fd_, static_cast<off_t>(size_bytes)) != 0) throw_errno("truncate failed on", path_);
}

void FileHandle::sync() {
  int rc = is_directory_ ? ::fsync(fd_) : ::fdatasync(fd_);
  if (rc != 0) throw_errno("sync failed on", path_);
}

void write_file_atomically(const std::filesystem::path& path, std::string_view text) {
  auto temp_path = path;
  temp_path += kTempFileSuffix;
  {
    auto temp = FileHandle::open(temp_path, /*create=*/true);
    temp->truncate(0);
    temp->write_at({reinterpret_cast<const uint8_t*>(text.data()), text.size()}, 0);
    temp->sync();
  }
  if (::rename(temp_path.c_str(), path.c_str()) != 0) throw_errno("cannot rename to", path);
}

void sync_directory(const std::filesystem::path& dir) { FileHandle::open_directory(dir)->sync(); }

}  // namespace freshet::storage
