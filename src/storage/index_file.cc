#include "storage/index_file.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <system_error>

#include "storage/storage_error.h"

namespace freshet::storage {

bool IndexFile::load() {
  bytes_.clear();
  file_bytes_.reset();
  std::error_code ec;
  if (!std::filesystem::exists(path_, ec)) return false;
  std::ifstream in(path_, std::ios::binary);
  if (!in) throw StorageError("cannot read " + path_.string());
  std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  bool whole = data.size() % entry_bytes_ == 0;
  data.resize(data.size() - data.size() % entry_bytes_);
  bytes_ = std::move(data);
  if (whole) file_bytes_ = bytes_.size();
  return whole;
}

uint8_t* IndexFile::append_entry() {
  bytes_.resize(bytes_.size() + entry_bytes_);
  return bytes_.data() + bytes_.size() - entry_bytes_;
}

void IndexFile::truncate_entries(size_t count) {
  if (count < entries()) bytes_.resize(count * entry_bytes_);
}

void IndexFile::persist() {
  if (!handle_) handle_ = FileHandle::open(path_, /*create=*/true);
  size_t known = file_bytes_.value_or(0);
  if (!file_bytes_ || known > bytes_.size()) {
    handle_->truncate(std::min(known, bytes_.size()));
    known = std::min(known, bytes_.size());
  }
  if (known < bytes_.size()) handle_->write_at({bytes_.data() + known, bytes_.size() - known}, known);
  file_bytes_ = bytes_.size();
}

void IndexFile::remove_file() {
  handle_.reset();
  file_bytes_.reset();
  std::error_code ec;
  std::filesystem::remove(path_, ec);
}

}  // namespace freshet::storage
