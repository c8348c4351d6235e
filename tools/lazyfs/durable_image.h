// DurableImage: the backing directory, kept equal to the durable state of the
// tree (node.h), so that at any moment - in particular right after a "power
// loss" - it holds exactly what a disk would.
//
// It is written only when something becomes durable: an fsync of a file
// rewrites the pages that changed since its previous fsync and fsyncs the
// backing file; an fsync of a directory applies the entry changes since its
// previous fsync (removed or replaced names are deleted, new names are
// written out from their nodes' durable state) and fsyncs the backing
// directory. Nodes not reachable through durable entries live in memory only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "node.h"

namespace lazyfs {

using Entries = std::map<std::string, std::shared_ptr<Node>>;

class DurableImage {
 public:
  explicit DurableImage(std::filesystem::path root) : root_(std::move(root)) {}

  const std::filesystem::path& root() const { return root_; }

  // Reads the backing directory into a tree whose live and durable states are
  // both what the backing holds (regular files and directories; anything else
  // is skipped with a warning). Ids are taken from `next_id`. Throws
  // std::system_error.
  std::shared_ptr<Node> load(uint64_t& next_id) const;

  // The file at `path` holds `before` (its previous durable contents); makes
  // it hold `after`, durably. Throws std::system_error.
  void write_file(const std::filesystem::path& path, const FileData& before, const FileData& after) const;

  // The directory at `path` holds `before` (its previous durable entries, each
  // mirrored); makes it hold `after`, durably. Throws std::system_error.
  void write_directory(const std::filesystem::path& path, const Entries& before, const Entries& after) const;

 private:
  // Writes the durable state of `node` (recursively) at `path`, which is absent.
  void materialize(const std::filesystem::path& path, const Node& node) const;
  std::shared_ptr<Node> load_directory(const std::filesystem::path& path, mode_t mode, std::weak_ptr<Node> parent,
                                       uint64_t& next_id) const;

  std::filesystem::path root_;
};

}  // namespace lazyfs
