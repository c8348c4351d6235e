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

  // Writes all of `data` at `position`. Throws StorageError.
  void write_at(std::span<const uint8_t> data, uint64_t position);
  // Reads up to out.size() bytes at `position`; fewer only at end of file.
  size_t read_at(std::span<uint8_t> out, uint64_t position) const;
  uint64_t size_bytes() const;
  void truncate(uint64_t size_bytes);
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
