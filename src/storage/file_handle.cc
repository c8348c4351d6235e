#include "storage/file_handle.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <vector>

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
  std::span<const uint8_t> pieces[] = {data};
  write_gather_at(pieces, position);
}

void FileHandle::write_gather_at(std::span<const std::span<const uint8_t>> pieces, uint64_t position) {
  std::vector<iovec> iov;
  iov.reserve(pieces.size());
  for (auto piece : pieces) {
    if (!piece.empty()) iov.push_back({const_cast<uint8_t*>(piece.data()), piece.size()});
  }
  size_t next = 0;  // first iovec not fully written
  while (next < iov.size()) {
    int count = static_cast<int>(std::min<size_t>(iov.size() - next, IOV_MAX));
    ssize_t n = ::pwritev(fd_, iov.data() + next, count, static_cast<off_t>(position));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("write failed on", path_);
    }
    if (n == 0) throw StorageError("write made no progress on " + path_.string());
    position += static_cast<uint64_t>(n);
    for (auto written = static_cast<size_t>(n); written > 0;) {
      size_t step = std::min(written, iov[next].iov_len);
      iov[next].iov_base = static_cast<uint8_t*>(iov[next].iov_base) + step;
      iov[next].iov_len -= step;
      written -= step;
      if (iov[next].iov_len == 0) ++next;
    }
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

bool FileHandle::reserve(uint64_t position, uint64_t bytes) {
  return ::fallocate(fd_, FALLOC_FL_KEEP_SIZE, static_cast<off_t>(position), static_cast<off_t>(bytes)) == 0;
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
