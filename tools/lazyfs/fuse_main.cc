// freshet-lazyfs: mounts a LazyFs (lazy_fs.h) with libfuse3.
//
//   freshet-lazyfs BACKING_DIR MOUNTPOINT [libfuse options, e.g. -o allow_other]
//
// Runs in the foreground and single-threaded (the model takes no locks) until
// MOUNTPOINT is unmounted (fusermount3 -u). `echo crash > MOUNTPOINT/.lazyfs-control`
// loses power: BACKING_DIR then holds only what was made durable, and every
// other operation on the mount fails with EIO; reading the control file
// says "running" or "crashed". A clean unmount without a crash makes
// everything durable first, as unmounting a disk does.
#define FUSE_USE_VERSION 31
#include <fuse.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "lazy_fs.h"

namespace {

using lazyfs::LazyFs;
using lazyfs::Node;

LazyFs* fs = nullptr;

bool is_control(const char* path) { return path && path == LazyFs::kControlPath; }

// fi->fh of an open file or directory: owns the node, which outlives an
// unlink while it is open.
std::shared_ptr<Node>& handle_node(fuse_file_info* fi) { return *reinterpret_cast<std::shared_ptr<Node>*>(fi->fh); }

void set_handle(fuse_file_info* fi, std::shared_ptr<Node> node) {
  fi->fh = reinterpret_cast<uint64_t>(new std::shared_ptr<Node>(std::move(node)));
}

constexpr uint64_t kControlHandle = 0;  // fi->fh of the control file

// The node a call is about: the open handle when there is one (the path may be
// null or stale after an unlink), else the path.
std::shared_ptr<Node> target(const char* path, fuse_file_info* fi, int* error) {
  if (fi && fi->fh != kControlHandle) return handle_node(fi);
  return fs->lookup(path ? path : "", error);
}

#define LAZYFS_RUNNING() \
  do {                   \
    if (fs->crashed()) return -EIO; \
  } while (0)

void* op_init(fuse_conn_info*, fuse_config* cfg) {
  cfg->use_ino = 1;
  cfg->hard_remove = 1;  // unlink an open file at once, no .fuse_hidden files
  cfg->nullpath_ok = 1;
  return nullptr;
}

void op_destroy(void*) {
  if (!fs->crashed() && fs->sync_all() != 0) std::fprintf(stderr, "lazyfs: syncing at unmount failed\n");
}

int op_getattr(const char* path, struct stat* st, fuse_file_info* fi) {
  if (is_control(path) && !(fi && fi->fh != kControlHandle)) {
    *st = {};
    st->st_mode = S_IFREG | 0600;
    st->st_nlink = 1;
    return 0;
  }
  LAZYFS_RUNNING();
  int error = -ENOENT;
  auto node = target(path, fi, &error);
  if (!node) return error;
  fs->stat(*node, st);
  return 0;
}

int op_open(const char* path, fuse_file_info* fi) {
  if (is_control(path)) {
    fi->fh = kControlHandle;
    fi->direct_io = 1;  // every read asks again
    return 0;
  }
  LAZYFS_RUNNING();
  int error = -ENOENT;
  auto node = fs->lookup(path, &error);
  if (!node) return error;
  if (node->is_directory()) return -EISDIR;
  if (fi->flags & O_TRUNC) fs->truncate(*node, 0);
  set_handle(fi, std::move(node));
  return 0;
}

int op_create(const char* path, mode_t mode, fuse_file_info* fi) {
  LAZYFS_RUNNING();
  std::shared_ptr<Node> node;
  int rc = fs->make(path, Node::Kind::kFile, mode, &node);
  if (rc == -EEXIST && !(fi->flags & O_EXCL) && !is_control(path)) return op_open(path, fi);
  if (rc != 0) return rc;
  set_handle(fi, std::move(node));
  return 0;
}

int op_release(const char*, fuse_file_info* fi) {
  if (fi->fh != kControlHandle) delete &handle_node(fi);
  return 0;
}

int op_read(const char* path, char* buf, size_t size, off_t offset, fuse_file_info* fi) {
  if (fi->fh == kControlHandle) {
    std::string state = fs->crashed() ? "crashed\n" : "running\n";
    if (static_cast<size_t>(offset) >= state.size()) return 0;
    size_t n = std::min(size, state.size() - static_cast<size_t>(offset));
    std::memcpy(buf, state.data() + offset, n);
    return static_cast<int>(n);
  }
  LAZYFS_RUNNING();
  size_t done = 0;
  int rc = fs->read(*handle_node(fi), {reinterpret_cast<uint8_t*>(buf), size}, static_cast<uint64_t>(offset), &done);
  return rc != 0 ? rc : static_cast<int>(done);
}

int op_write(const char* path, const char* buf, size_t size, off_t offset, fuse_file_info* fi) {
  if (fi->fh == kControlHandle) {
    std::string command(buf, size);
    while (!command.empty() && (command.back() == '\n' || command.back() == ' ')) command.pop_back();
    if (command != "crash") return -EINVAL;
    if (!fs->crashed()) std::fprintf(stderr, "lazyfs: power lost; unsynced writes dropped\n");
    fs->crash();
    return static_cast<int>(size);
  }
  LAZYFS_RUNNING();
  Node& node = *handle_node(fi);
  // Without a writeback cache the kernel leaves O_APPEND to the file system.
  uint64_t position = (fi->flags & O_APPEND) ? node.data.size() : static_cast<uint64_t>(offset);
  int rc = fs->write(node, {reinterpret_cast<const uint8_t*>(buf), size}, position);
  return rc != 0 ? rc : static_cast<int>(size);
}

int op_truncate(const char* path, off_t size, fuse_file_info* fi) {
  if (is_control(path) || (fi && fi->fh == kControlHandle)) return 0;  // `echo crash >` truncates first
  LAZYFS_RUNNING();
  int error = -ENOENT;
  auto node = target(path, fi, &error);
  if (!node) return error;
  return fs->truncate(*node, static_cast<uint64_t>(size));
}

int op_fallocate(const char*, int mode, off_t offset, off_t length, fuse_file_info* fi) {
  LAZYFS_RUNNING();
  return fs->fallocate(*handle_node(fi), mode, static_cast<uint64_t>(offset), static_cast<uint64_t>(length));
}

int op_fsync(const char*, int /*datasync: fdatasync persists the size too*/, fuse_file_info* fi) {
  if (fi->fh == kControlHandle) return 0;
  LAZYFS_RUNNING();
  return fs->fsync(*handle_node(fi));
}

int op_flush(const char*, fuse_file_info*) { return 0; }

int op_mkdir(const char* path, mode_t mode) {
  LAZYFS_RUNNING();
  return fs->make(path, Node::Kind::kDirectory, mode, nullptr);
}

int op_unlink(const char* path) {
  LAZYFS_RUNNING();
  if (is_control(path)) return -EPERM;
  return fs->unlink(path);
}

int op_rmdir(const char* path) {
  LAZYFS_RUNNING();
  return fs->rmdir(path);
}

int op_rename(const char* from, const char* to, unsigned int flags) {
  LAZYFS_RUNNING();
  if (is_control(from)) return -EPERM;
  return fs->rename(from, to, flags);
}

int op_opendir(const char* path, fuse_file_info* fi) {
  LAZYFS_RUNNING();
  int error = -ENOENT;
  auto node = fs->lookup(path, &error);
  if (!node) return error;
  if (!node->is_directory()) return -ENOTDIR;
  set_handle(fi, std::move(node));
  return 0;
}

int op_releasedir(const char*, fuse_file_info* fi) {
  delete &handle_node(fi);
  return 0;
}

int op_readdir(const char*, void* buf, fuse_fill_dir_t filler, off_t, fuse_file_info* fi, fuse_readdir_flags) {
  LAZYFS_RUNNING();
  filler(buf, ".", nullptr, 0, fuse_fill_dir_flags{});
  filler(buf, "..", nullptr, 0, fuse_fill_dir_flags{});
  for (const auto& [name, child] : handle_node(fi)->entries) filler(buf, name.c_str(), nullptr, 0, fuse_fill_dir_flags{});
  return 0;
}

int op_fsyncdir(const char*, int, fuse_file_info* fi) {
  LAZYFS_RUNNING();
  return fs->fsync(*handle_node(fi));
}

int op_chmod(const char* path, mode_t mode, fuse_file_info* fi) {
  if (is_control(path)) return -EPERM;
  LAZYFS_RUNNING();
  int error = -ENOENT;
  auto node = target(path, fi, &error);
  if (!node) return error;
  node->mode = mode & 07777;
  return 0;
}

int op_chown(const char* path, uid_t, gid_t, fuse_file_info*) {
  LAZYFS_RUNNING();
  return 0;  // owners are not modelled
}

int op_utimens(const char* path, const timespec tv[2], fuse_file_info* fi) {
  if (is_control(path)) return 0;
  LAZYFS_RUNNING();
  int error = -ENOENT;
  auto node = target(path, fi, &error);
  if (!node) return error;
  node->touch();
  if (tv && tv[1].tv_nsec != UTIME_NOW && tv[1].tv_nsec != UTIME_OMIT) node->mtime = tv[1];
  return 0;
}

int op_statfs(const char*, struct statvfs* st) {
  LAZYFS_RUNNING();
  return fs->statfs(st);
}

fuse_operations make_operations() {
  fuse_operations ops{};
  ops.init = op_init;
  ops.destroy = op_destroy;
  ops.getattr = op_getattr;
  ops.open = op_open;
  ops.create = op_create;
  ops.release = op_release;
  ops.read = op_read;
  ops.write = op_write;
  ops.truncate = op_truncate;
  ops.fallocate = op_fallocate;
  ops.fsync = op_fsync;
  ops.flush = op_flush;
  ops.mkdir = op_mkdir;
  ops.unlink = op_unlink;
  ops.rmdir = op_rmdir;
  ops.rename = op_rename;
  ops.opendir = op_opendir;
  ops.releasedir = op_releasedir;
  ops.readdir = op_readdir;
  ops.fsyncdir = op_fsyncdir;
  ops.chmod = op_chmod;
  ops.chown = op_chown;
  ops.utimens = op_utimens;
  ops.statfs = op_statfs;
  return ops;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s BACKING_DIR MOUNTPOINT [libfuse options]\n", argv[0]);
    return 2;
  }
  try {
    static LazyFs instance(argv[1]);
    fs = &instance;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lazyfs: cannot load %s: %s\n", argv[1], e.what());
    return 1;
  }
  // Foreground, single-threaded, then the caller's options.
  std::vector<char*> args = {argv[0], argv[2], const_cast<char*>("-f"), const_cast<char*>("-s"),
                             const_cast<char*>("-o"), const_cast<char*>("fsname=lazyfs,subtype=lazyfs")};
  for (int i = 3; i < argc; ++i) args.push_back(argv[i]);
  fuse_operations ops = make_operations();
  return fuse_main(static_cast<int>(args.size()), args.data(), &ops, nullptr);
}
