// Node: one file or directory of the file system, in two states.
//
// The live state is what applications see. The durable state is what a disk
// would hold after power loss: a file's contents as of its last fsync, a
// directory's entries as of its last fsync. Nothing else ever becomes
// durable (see README.md for the model). Both states are in memory; the
// backing directory mirrors the durable state of every node reachable from
// the root through durable entries (DurableImage keeps it so).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <time.h>

#include "file_data.h"

namespace lazyfs {

struct Node {
  enum class Kind { kFile, kDirectory };

  Node(Kind kind, uint64_t id, mode_t mode, std::weak_ptr<Node> parent);

  bool is_directory() const { return kind == Kind::kDirectory; }
  void touch();  // sets mtime and ctime to now

  const Kind kind;
  const uint64_t id;  // st_ino
  mode_t mode;        // permission bits only
  timespec mtime{}, ctime{};
  // The directory holding this node. Fixed for life: renames across
  // directories are refused (EXDEV), so a node has at most one durable name,
  // the one its parent's durable entries give it. Expired for the root and
  // once the parent is gone.
  const std::weak_ptr<Node> parent;

  // Files.
  FileData data;
  FileData durable_data;

  // Directories: name -> node.
  std::map<std::string, std::shared_ptr<Node>> entries;
  std::map<std::string, std::shared_ptr<Node>> durable_entries;
};

}  // namespace lazyfs
