#pragma once
// A header line matched against the columns a loader understands: every cell must be
// one of them (case-insensitive, quotes, spaces and a byte-order mark stripped), none
// twice; otherwise an io_error names the file, line 1 and the column. A column that is
// not understood is an error, never silently dropped (issue 11, item 3).

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../../../error.hpp"
#include "text.hpp"

namespace sjmt::detail {

/// "a, b, c": the names a loader understands, for its messages.
inline std::string joined(std::span<const std::string_view> names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) out += ", ";
    out += names[i];
  }
  return out;
}

/// Throws io_error: column `c` (0-based) of `file`'s header, `cell`, is a duplicate of `first`.
[[noreturn]] inline void duplicate_column(const std::string& file, std::size_t first, std::size_t c,
                                          std::string_view cell) {
  throw_error<io_error>(std::source_location::current(), file, ":1: columns ", first + 1, " and ", c + 1,
                        " are both '", unquote(cell), "'; a column may appear once");
}

/// For each of `names` (lower case), its 0-based column in `cells`, or -1. Throws io_error
/// naming `file`, line 1 and the column for a cell that is none of `names` (`what` names
/// the format) and for a name that appears twice.
inline std::vector<int> match_columns(const std::string& file, const std::vector<std::string_view>& cells,
                                      std::span<const std::string_view> names, std::string_view what) {
  std::vector<int> at(names.size(), -1);
  for (std::size_t c = 0; c < cells.size(); ++c) {
    const std::string key = column_key(c == 0 ? strip_bom(cells[c]) : cells[c]);
    std::size_t k = 0;
    while (k < names.size() && names[k] != key) ++k;
    if (k == names.size())
      throw_error<io_error>(std::source_location::current(), file, ":1: column ", c + 1, " '", unquote(cells[c]),
                            "' is not a ", what, " column; expected one of: ", joined(names));
    if (at[k] >= 0) duplicate_column(file, static_cast<std::size_t>(at[k]), c, cells[c]);
    at[k] = static_cast<int>(c);
  }
  return at;
}

}  // namespace sjmt::detail
