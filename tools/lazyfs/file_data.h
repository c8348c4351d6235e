// FileData: the bytes of one file, as 4 KiB pages shared copy-on-write.
//
// Copying a FileData copies page pointers, not bytes: the file system keeps a
// file's live contents and its last durable snapshot as two FileData values
// that share every page the application has not written since the snapshot.
// A page that is shared is copied before it is written, so a snapshot never
// changes after it was taken, and "which pages changed since the snapshot" is
// answered by pointer comparison (changed_pages).
//
// Invariant: bytes past size() inside the last page are zero, so growing a
// file (resize, or a write past the end) exposes zeros, as POSIX requires.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

namespace lazyfs {

class FileData {
 public:
  static constexpr uint64_t kPageBytes = 4096;

  uint64_t size() const { return size_; }

  // Copies up to out.size() bytes at `offset` into `out`; fewer at end of file.
  size_t read(uint64_t offset, std::span<uint8_t> out) const;
  // Writes `data` at `offset`, growing the file when it ends past size().
  void write(uint64_t offset, std::span<const uint8_t> data);
  // Truncates or extends (with zeros) to `size` bytes.
  void resize(uint64_t size);

  // Calls `visit(offset, bytes)` for every page of this file that is not the
  // very same page in `base` (its bytes, cut at size(); a hole as zeros).
  // Writing those ranges over a copy of `base` and truncating it to size()
  // yields this file.
  void changed_pages(const FileData& base,
                     const std::function<void(uint64_t, std::span<const uint8_t>)>& visit) const;

 private:
  using Page = std::array<uint8_t, kPageBytes>;

  // Page `index`, allocated or unshared first so that it may be written.
  Page& writable_page(size_t index);

  std::vector<std::shared_ptr<Page>> pages_;  // null: a page of zeros
  uint64_t size_ = 0;
};

}  // namespace lazyfs
