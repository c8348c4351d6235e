// An open file or directory descriptor, closed when the last owner drops it.
//
// Handles are shared (std::shared_ptr) so that a segment roll or deletion on the
// owner thread never closes a descriptor that a flusher thread is syncing.
// Positional reads and writes (pread/pwrite) do not touch the descriptor's file
// offset, so sync() and read_at() may run on any thread concurrently with the owner.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string_view>

namespace freshet::storage {

class FileHandle {
 public:
  // Opens `path` for reading and writing, creating it when `create` is set.
  // Throws StorageError.
  static std::shared_ptr<FileHandle> open(const std::filesystem::path& path, bool create);
  // Opens a directory so that its entries (created/renamed files) can be synced.
  static std::shared_ptr<FileHandle> open_directory(const std::filesystem::path& path);

  ~FileHandle();
  FileHandle(const FileHandle&) = delete;
  FileHandle& operator=(const FileHandle&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // The descriptor, for calls that read the file directly (sendfile); valid while this handle lives.
  int fd() const { return fd_; }

  // Writes all of `data` at `position`. Throws StorageError.
  void write_at(std::span<const uint8_t> data, uint64_t position);
  // Writes the concatenation of `pieces` at `position` in one pwritev (more
  // only when the kernel writes less). Throws StorageError.
  void write_gather_at(std::span<const std::span<const uint8_t>> pieces, uint64_t position);
  // Reads up to out.size() bytes at `position`; fewer only at end of file.
  size_t read_at(std::span<uint8_t> out, uint64_t position) const;
  uint64_t size_bytes() const;
  void truncate(uint64_t size_bytes);
  // Allocates disk blocks for [position, position + bytes) without changing
  // the file size (fallocate KEEP_SIZE), so later writes there skip block
  // allocation. False when the file system cannot (the writes then allocate
  // as usual). truncate(size_bytes()) releases blocks reserved past the end.
  bool reserve(uint64_t position, uint64_t bytes);
  // Makes written data durable: fdatasync for files, fsync for directories.
  void sync();

 private:
  FileHandle(int fd, std::filesystem::path path, bool is_directory)
      : fd_(fd), path_(std::move(path)), is_directory_(is_directory) {}

  int fd_;
  std::filesystem::path path_;
  bool is_directory_;
};

// Replaces `path` with `text` atomically: writes <path>.tmp, fsyncs it, renames
// it over `path`. The caller syncs the directory when the rename must be durable.
void write_file_atomically(const std::filesystem::path& path, std::string_view text);

// Syncs the directory `dir` (makes creations, renames and deletions in it durable).
void sync_directory(const std::filesystem::path& dir);

}  // namespace freshet::storage
