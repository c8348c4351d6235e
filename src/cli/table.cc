#include "cli/table.h"

#include <cassert>
#include <cstdint>

namespace freshet::cli {
namespace {

// Number of UTF-8 code points in `text` (bytes that are not continuation bytes).
size_t display_width(std::string_view text) {
  size_t width = 0;
  for (unsigned char c : text) width += (c & 0xC0) != 0x80;
  return width;
}

}  // namespace

Table::Table(std::vector<std::string> headers) : Table(headers.size(), true) {
  rows_.push_back(std::move(headers));
}

Table::Table(size_t columns, bool has_header) : columns_(columns), has_header_(has_header) {
  assert(columns_ > 0);
}

Table Table::headless(size_t columns) { return Table(columns, false); }

void Table::add_row(std::vector<std::string> cells) {
  assert(cells.size() == columns_);
  rows_.push_back(std::move(cells));
}

std::string Table::render() const {
  std::vector<size_t> widths(columns_, 0);
  for (const auto& row : rows_) {
    for (size_t i = 0; i < columns_; ++i) {
      widths[i] = std::max(widths[i], display_width(row[i]));
    }
  }
  std::string out;
  for (const auto& row : rows_) {
    std::string line;
    for (size_t i = 0; i < columns_; ++i) {
      line += row[i];
      if (i + 1 < columns_) line.append(widths[i] - display_width(row[i]) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line;
    out += '\n';
  }
  return out;
}

std::string section_title(std::string_view title) {
  std::string out(title);
  out += '\n';
  out.append(display_width(title), '=');
  out += '\n';
  return out;
}

std::string format_id_list(const std::vector<int32_t>& ids) {
  std::string out = "[";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(ids[i]);
  }
  out += ']';
  return out;
}

}  // namespace freshet::cli
