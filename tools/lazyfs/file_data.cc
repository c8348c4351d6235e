#include "file_data.h"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace lazyfs {

namespace {
const std::array<uint8_t, FileData::kPageBytes> kZeroPage{};

size_t pages_for(uint64_t size) { return static_cast<size_t>((size + FileData::kPageBytes - 1) / FileData::kPageBytes); }
}  // namespace

FileData::Page& FileData::writable_page(size_t index) {
  auto& page = pages_[index];
  if (!page)
    page = std::make_shared<Page>();  // value-initialized: zeros
  else if (page.use_count() > 1)
    page = std::make_shared<Page>(*page);  // shared with a snapshot: copy before writing
  return *page;
}

size_t FileData::read(uint64_t offset, std::span<uint8_t> out) const {
  if (offset >= size_) return 0;
  size_t total = static_cast<size_t>(std::min<uint64_t>(out.size(), size_ - offset));
  for (size_t done = 0; done < total;) {
    uint64_t position = offset + done;
    size_t index = static_cast<size_t>(position / kPageBytes);
    size_t in_page = static_cast<size_t>(position % kPageBytes);
    size_t step = std::min(total - done, static_cast<size_t>(kPageBytes) - in_page);
    const uint8_t* source = pages_[index] ? pages_[index]->data() : kZeroPage.data();
    std::memcpy(out.data() + done, source + in_page, step);
    done += step;
  }
  return total;
}

void FileData::write(uint64_t offset, std::span<const uint8_t> data) {
  if (data.empty()) return;
  uint64_t end = offset + data.size();
  if (end > size_) {
    pages_.resize(pages_for(end));
    size_ = end;
  }
  for (size_t done = 0; done < data.size();) {
    uint64_t position = offset + done;
    size_t index = static_cast<size_t>(position / kPageBytes);
    size_t in_page = static_cast<size_t>(position % kPageBytes);
    size_t step = std::min(data.size() - done, static_cast<size_t>(kPageBytes) - in_page);
    std::memcpy(writable_page(index).data() + in_page, data.data() + done, step);
    done += step;
  }
}

void FileData::resize(uint64_t size) {
  if (size < size_) {
    pages_.resize(pages_for(size));
    size_t tail = static_cast<size_t>(size % kPageBytes);
    // Keep the invariant: what was cut off the last page reads as zeros if the file grows again.
    if (tail != 0 && pages_.back()) {
      Page& last = writable_page(pages_.size() - 1);
      std::fill(last.begin() + static_cast<std::ptrdiff_t>(tail), last.end(), 0);
    }
  } else {
    pages_.resize(pages_for(size));
  }
  size_ = size;
}

void FileData::changed_pages(const FileData& base,
                             const std::function<void(uint64_t, std::span<const uint8_t>)>& visit) const {
  for (size_t i = 0; i < pages_.size(); ++i) {
    bool same = i < base.pages_.size() && pages_[i] == base.pages_[i];
    if (same) continue;
    uint64_t offset = i * kPageBytes;
    size_t bytes = static_cast<size_t>(std::min<uint64_t>(kPageBytes, size_ - offset));
    const uint8_t* source = pages_[i] ? pages_[i]->data() : kZeroPage.data();
    visit(offset, {source, bytes});
  }
}

}  // namespace lazyfs
