#include "durable_image.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <system_error>
#include <vector>

namespace lazyfs {

namespace {
[[noreturn]] void throw_errno(const std::string& what, const std::filesystem::path& path) {
  throw std::system_error(errno, std::generic_category(), what + " " + path.string());
}

// An open descriptor, closed on scope exit.
class Fd {
 public:
  Fd(const std::filesystem::path& path, int flags, mode_t mode = 0) : fd_(::open(path.c_str(), flags | O_CLOEXEC, mode)) {
    if (fd_ < 0) throw_errno("cannot open", path);
  }
  ~Fd() { ::close(fd_); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

void write_all(int fd, std::span<const uint8_t> bytes, uint64_t offset, const std::filesystem::path& path) {
  while (!bytes.empty()) {
    ssize_t n = ::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw_errno("cannot write", path);
    bytes = bytes.subspan(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
}

// Makes `fd` hold `after` given that it holds `before`, then fsyncs it.
void write_contents(int fd, const FileData& before, const FileData& after, const std::filesystem::path& path) {
  after.changed_pages(before, [&](uint64_t offset, std::span<const uint8_t> bytes) { write_all(fd, bytes, offset, path); });
  if (::ftruncate(fd, static_cast<off_t>(after.size())) != 0) throw_errno("cannot truncate", path);
  if (::fsync(fd) != 0) throw_errno("cannot fsync", path);
}

void sync_directory(const std::filesystem::path& path) {
  Fd dir(path, O_RDONLY | O_DIRECTORY);
  if (::fsync(dir.get()) != 0) throw_errno("cannot fsync", path);
}
}  // namespace

std::shared_ptr<Node> DurableImage::load(uint64_t& next_id) const {
  struct stat st;
  if (::stat(root_.c_str(), &st) != 0) throw_errno("cannot stat", root_);
  if (!S_ISDIR(st.st_mode)) throw std::system_error(ENOTDIR, std::generic_category(), root_.string());
  return load_directory(root_, st.st_mode & 07777, {}, next_id);
}

std::shared_ptr<Node> DurableImage::load_directory(const std::filesystem::path& path, mode_t mode,
                                                   std::weak_ptr<Node> parent, uint64_t& next_id) const {
  auto dir = std::make_shared<Node>(Node::Kind::kDirectory, next_id++, mode, std::move(parent));
  for (const auto& entry : std::filesystem::directory_iterator(path)) {
    struct stat st;
    if (::lstat(entry.path().c_str(), &st) != 0) throw_errno("cannot stat", entry.path());
    std::string name = entry.path().filename().string();
    std::shared_ptr<Node> child;
    if (S_ISDIR(st.st_mode)) {
      child = load_directory(entry.path(), st.st_mode & 07777, dir, next_id);
    } else if (S_ISREG(st.st_mode)) {
      child = std::make_shared<Node>(Node::Kind::kFile, next_id++, st.st_mode & 07777, dir);
      Fd file(entry.path(), O_RDONLY);
      std::vector<uint8_t> buffer(1 << 20);
      for (uint64_t offset = 0;;) {
        ssize_t n = ::pread(file.get(), buffer.data(), buffer.size(), static_cast<off_t>(offset));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_errno("cannot read", entry.path());
        if (n == 0) break;
        child->data.write(offset, {buffer.data(), static_cast<size_t>(n)});
        offset += static_cast<uint64_t>(n);
      }
      child->durable_data = child->data;
    } else {
      std::fprintf(stderr, "lazyfs: skipping %s: neither a regular file nor a directory\n", entry.path().c_str());
      continue;
    }
    dir->entries.emplace(name, child);
  }
  dir->durable_entries = dir->entries;
  return dir;
}

void DurableImage::write_file(const std::filesystem::path& path, const FileData& before, const FileData& after) const {
  Fd file(path, O_WRONLY);
  write_contents(file.get(), before, after, path);
}

void DurableImage::write_directory(const std::filesystem::path& path, const Entries& before,
                                   const Entries& after) const {
  // Remove first: a name may now belong to another node (rename over it).
  for (const auto& [name, node] : before) {
    auto now = after.find(name);
    if (now != after.end() && now->second == node) continue;
    std::error_code ec;
    std::filesystem::remove_all(path / name, ec);
    if (ec) throw std::system_error(ec, "cannot remove " + (path / name).string());
  }
  for (const auto& [name, node] : after) {
    auto was = before.find(name);
    if (was != before.end() && was->second == node) continue;
    materialize(path / name, *node);
  }
  sync_directory(path);
}

void DurableImage::materialize(const std::filesystem::path& path, const Node& node) const {
  if (node.is_directory()) {
    if (::mkdir(path.c_str(), node.mode) != 0) throw_errno("cannot create directory", path);
    for (const auto& [name, child] : node.durable_entries) materialize(path / name, *child);
    sync_directory(path);
  } else {
    Fd file(path, O_WRONLY | O_CREAT | O_EXCL, node.mode);
    write_contents(file.get(), FileData{}, node.durable_data, path);
  }
}

}  // namespace lazyfs
