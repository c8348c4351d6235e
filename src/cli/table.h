// Aligned text tables for human-readable output, in the style of rpk:
//
//   NAME    PARTITIONS  REPLICAS
//   orders  3           1
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace freshet::cli {

class Table {
 public:
  // A table with a header row; every row must have as many cells as there are headers.
  explicit Table(std::vector<std::string> headers);

  // A table of `columns` columns without a header row (e.g. "NAME  orders" summaries).
  static Table headless(size_t columns);

  void add_row(std::vector<std::string> cells);

  // Every row on its own line, cells left-aligned in columns two spaces apart; widths count
  // UTF-8 code points. No trailing spaces.
  std::string render() const;

 private:
  Table(size_t columns, bool has_header);

  size_t columns_;
  bool has_header_;
  std::vector<std::vector<std::string>> rows_;  // the header row first, if any
};

// A section heading for multi-part output: the title, then a line of '=' as long as it.
std::string section_title(std::string_view title);

// "[1, 2, 3]": a list of broker ids for a table cell.
std::string format_id_list(const std::vector<int32_t>& ids);

}  // namespace freshet::cli
