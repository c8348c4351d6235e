// LazyFs: the file system the FUSE callbacks (fuse_main.cc) drive - a tree of
// Nodes with live and durable state (node.h) over a DurableImage.
//
// Contract of durability (the "disk" model, README.md has the long form):
//   - fsync/fdatasync of a file makes its contents and size durable;
//   - fsync of a directory makes its entries durable: creations, unlinks,
//     rmdirs and renames inside it;
//   - nothing else is ever durable; crash() freezes the tree, and the backing
//     directory then holds the durable state only.
// Paths are absolute inside the mount ("/a/b"). Operations return 0 or
// -errno, like FUSE callbacks. Not thread-safe: the mount runs one thread.
#pragma once

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "durable_image.h"
#include "node.h"

namespace lazyfs {

class LazyFs {
 public:
  // The command file at the mount's root (not listed by readdir): writing
  // "crash" to it loses power.
  static constexpr std::string_view kControlPath = "/.lazyfs-control";

  // Loads the backing directory (throws std::system_error).
  explicit LazyFs(std::filesystem::path backing);

  // Power loss: every later operation but the control file's fails with EIO.
  void crash() { crashed_ = true; }
  bool crashed() const { return crashed_; }

  // The node at `path`, or null (and `*error` = -ENOENT/-ENOTDIR) when absent.
  std::shared_ptr<Node> lookup(std::string_view path, int* error = nullptr) const;

  void stat(const Node& node, struct stat* st) const;
  int statfs(struct statvfs* st) const;

  // Creates a file or directory at `path`; the new node goes to `*created`.
  int make(std::string_view path, Node::Kind kind, mode_t mode, std::shared_ptr<Node>* created);
  int unlink(std::string_view path);
  int rmdir(std::string_view path);
  // rename(2) within one directory; flags: 0 or RENAME_NOREPLACE.
  int rename(std::string_view from, std::string_view to, unsigned flags);

  int read(const Node& file, std::span<uint8_t> out, uint64_t offset, size_t* read_bytes) const;
  int write(Node& file, std::span<const uint8_t> data, uint64_t offset);
  int truncate(Node& file, uint64_t size);
  // fallocate: mode 0 grows the file with zeros, FALLOC_FL_KEEP_SIZE only
  // reserves space (a no-op here); other modes are EOPNOTSUPP.
  int fallocate(Node& file, int mode, uint64_t offset, uint64_t length);

  // fsync of a file or a directory (the durability points).
  int fsync(Node& node);
  // Makes everything durable, as a clean unmount does (every directory and
  // file reachable from the root, parents before children).
  int sync_all();

 private:
  // unlink (a file) or rmdir (an empty directory) of `path`.
  int remove_entry(std::string_view path, bool directory);
  // Where the durable state of `node` is mirrored in the backing directory,
  // when durable entries reach it from the root.
  std::optional<std::filesystem::path> durable_path(const Node& node) const;
  // The directory holding `path` and the last component; null when absent.
  std::shared_ptr<Node> parent_of(std::string_view path, std::string* name, int* error) const;
  int sync_tree(Node& node);

  DurableImage image_;
  uint64_t next_id_ = 1;
  std::shared_ptr<Node> root_;
  bool crashed_ = false;
};

}  // namespace lazyfs
