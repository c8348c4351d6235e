#include "lazy_fs.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <system_error>
#include <vector>

namespace lazyfs {

namespace {
std::vector<std::string_view> components(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    size_t slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    if (!part.empty() && part != ".") parts.push_back(part);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

// The FUSE callbacks must not throw: a failed write-through costs the call an EIO.
template <typename F>
int guarded(const char* what, F&& f) {
  try {
    f();
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lazyfs: %s failed: %s\n", what, e.what());
    return -EIO;
  }
}
}  // namespace

LazyFs::LazyFs(std::filesystem::path backing) : image_(std::move(backing)) { root_ = image_.load(next_id_); }

std::shared_ptr<Node> LazyFs::lookup(std::string_view path, int* error) const {
  std::shared_ptr<Node> node = root_;
  for (auto part : components(path)) {
    if (!node->is_directory()) {
      if (error) *error = -ENOTDIR;
      return nullptr;
    }
    auto it = node->entries.find(std::string(part));
    if (it == node->entries.end()) {
      if (error) *error = -ENOENT;
      return nullptr;
    }
    node = it->second;
  }
  return node;
}

std::shared_ptr<Node> LazyFs::parent_of(std::string_view path, std::string* name, int* error) const {
  auto parts = components(path);
  if (parts.empty()) {
    *error = -EBUSY;  // the root itself
    return nullptr;
  }
  *name = std::string(parts.back());
  auto slash = path.rfind('/');
  auto parent = lookup(slash == std::string_view::npos ? std::string_view() : path.substr(0, slash), error);
  if (parent && !parent->is_directory()) {
    *error = -ENOTDIR;
    return nullptr;
  }
  return parent;
}

void LazyFs::stat(const Node& node, struct stat* st) const {
  *st = {};
  st->st_ino = node.id;
  st->st_uid = ::getuid();
  st->st_gid = ::getgid();
  st->st_mtim = node.mtime;
  st->st_ctim = node.ctime;
  st->st_atim = node.mtime;
  st->st_blksize = FileData::kPageBytes;
  if (node.is_directory()) {
    st->st_mode = S_IFDIR | node.mode;
    st->st_nlink = 2;
  } else {
    st->st_mode = S_IFREG | node.mode;
    st->st_nlink = 1;
    st->st_size = static_cast<off_t>(node.data.size());
    st->st_blocks = static_cast<blkcnt_t>((node.data.size() + 511) / 512);
  }
}

int LazyFs::statfs(struct statvfs* st) const { return ::statvfs(image_.root().c_str(), st) == 0 ? 0 : -errno; }

int LazyFs::make(std::string_view path, Node::Kind kind, mode_t mode, std::shared_ptr<Node>* created) {
  if (path == kControlPath) return -EEXIST;
  std::string name;
  int error = 0;
  auto parent = parent_of(path, &name, &error);
  if (!parent) return error;
  if (parent->entries.count(name)) return -EEXIST;
  auto node = std::make_shared<Node>(kind, next_id_++, mode & 07777, parent);
  parent->entries.emplace(name, node);
  parent->touch();
  if (created) *created = node;
  return 0;
}

int LazyFs::unlink(std::string_view path) { return remove_entry(path, false); }

int LazyFs::rmdir(std::string_view path) { return remove_entry(path, true); }

int LazyFs::remove_entry(std::string_view path, bool directory) {
  std::string name;
  int error = 0;
  auto parent = parent_of(path, &name, &error);
  if (!parent) return error;
  auto it = parent->entries.find(name);
  if (it == parent->entries.end()) return -ENOENT;
  if (it->second->is_directory() != directory) return directory ? -ENOTDIR : -EISDIR;
  if (directory && !it->second->entries.empty()) return -ENOTEMPTY;
  parent->entries.erase(it);  // open handles keep the node
  parent->touch();
  return 0;
}

int LazyFs::rename(std::string_view from, std::string_view to, unsigned flags) {
  if (flags & ~static_cast<unsigned>(RENAME_NOREPLACE)) return -EINVAL;  // RENAME_EXCHANGE, WHITEOUT
  if (to == kControlPath) return -EPERM;
  std::string from_name, to_name;
  int error = 0;
  auto from_parent = parent_of(from, &from_name, &error);
  if (!from_parent) return error;
  auto to_parent = parent_of(to, &to_name, &error);
  if (!to_parent) return error;
  // A node's parent is fixed (node.h): that keeps one durable name per node.
  if (from_parent != to_parent) return -EXDEV;
  auto& entries = from_parent->entries;
  auto source = entries.find(from_name);
  if (source == entries.end()) return -ENOENT;
  if (from_name == to_name) return 0;
  auto target = entries.find(to_name);
  if (target != entries.end()) {
    if (flags & RENAME_NOREPLACE) return -EEXIST;
    const Node& replaced = *target->second;
    if (source->second->is_directory() && !replaced.is_directory()) return -ENOTDIR;
    if (!source->second->is_directory() && replaced.is_directory()) return -EISDIR;
    if (replaced.is_directory() && !replaced.entries.empty()) return -ENOTEMPTY;
  }
  auto node = source->second;
  entries.erase(source);
  entries[to_name] = node;
  from_parent->touch();
  return 0;
}

int LazyFs::read(const Node& file, std::span<uint8_t> out, uint64_t offset, size_t* read_bytes) const {
  if (file.is_directory()) return -EISDIR;
  *read_bytes = file.data.read(offset, out);
  return 0;
}

int LazyFs::write(Node& file, std::span<const uint8_t> data, uint64_t offset) {
  if (file.is_directory()) return -EISDIR;
  file.data.write(offset, data);
  file.touch();
  return 0;
}

int LazyFs::truncate(Node& file, uint64_t size) {
  if (file.is_directory()) return -EISDIR;
  file.data.resize(size);
  file.touch();
  return 0;
}

int LazyFs::fallocate(Node& file, int mode, uint64_t offset, uint64_t length) {
  if (file.is_directory()) return -EISDIR;
  if (mode == FALLOC_FL_KEEP_SIZE) return 0;
  if (mode != 0) return -EOPNOTSUPP;
  if (offset + length > file.data.size()) truncate(file, offset + length);
  return 0;
}

std::optional<std::filesystem::path> LazyFs::durable_path(const Node& node) const {
  if (&node == root_.get()) return image_.root();
  auto parent = node.parent.lock();
  if (!parent) return std::nullopt;
  auto base = durable_path(*parent);
  if (!base) return std::nullopt;
  for (const auto& [name, child] : parent->durable_entries) {
    if (child.get() == &node) return *base / name;
  }
  return std::nullopt;
}

int LazyFs::fsync(Node& node) {
  // The mirror is written first and the durable state changes only when it
  // succeeded; a failed write-through fails the fsync with EIO (and may have
  // updated part of the mirror, as a failed fsync may leave a disk).
  auto path = durable_path(node);
  if (node.is_directory()) {
    return guarded("fsync of a directory", [&] {
      if (path) image_.write_directory(*path, node.durable_entries, node.entries);
      node.durable_entries = node.entries;
    });
  }
  return guarded("fsync of a file", [&] {
    if (path) image_.write_file(*path, node.durable_data, node.data);
    node.durable_data = node.data;
  });
}

int LazyFs::sync_all() { return sync_tree(*root_); }

int LazyFs::sync_tree(Node& node) {
  // A directory first: its new entries are then written out from their
  // children's (older) durable state, which the children's own sync updates.
  if (int rc = fsync(node); rc != 0) return rc;
  if (!node.is_directory()) return 0;
  for (auto& [name, child] : node.entries) {
    if (int rc = sync_tree(*child); rc != 0) return rc;
  }
  return 0;
}

}  // namespace lazyfs
