#pragma once
// EmotioNet AU tables and emotion categories (DATA.md 1.3), read as released:
//  - automatic AU files (dataFile_*.txt): tab-separated, no header, 62 columns: image URL,
//    original URL, AU1..AU60 by position; 1 present, 0 absent, 999 unknown;
//  - the manually coded table (CSV): header URL, URL orig, 'AU 1', 'AU 2', ... (quotes and
//    spaces are part of the names; columns are found by matching AU<number>), URL cells
//    may carry stray quotes; values 0 / 1 / 999;
//  - the emotion categories as a CSV export of URLsWithEmotionCat*.xlsx: URL, URL orig, then
//    16 one-hot category columns (matched by name; negatives 0 or -1).
// 999 becomes au_label::unknown, which the sampler turns into known-mask 0. Pictures are
// read from <image_root>/<file name of the URL> when an image root is given.

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "../../error.hpp"
#include "../../labels/spaces.hpp"
#include "../image_io.hpp"
#include "../sample.hpp"
#include "detail/columns.hpp"
#include "detail/text.hpp"
#include "load_report.hpp"

namespace sjmt::data {

struct emotionet_options : load_options {
  std::filesystem::path image_root{};  ///< empty: labels only, pictures left empty
  int channels = 3;
  int width = 0, height = 0;  ///< resize pictures to this size; 0: keep
  /// AUs a manual table must have a column for (load_emotionet_aus throws naming the
  /// missing ones): by default the 11 of the challenge, so that a dropped or misspelt
  /// column never turns an AU unknown for every row. Empty: accept any subset.
  std::vector<int> required_aus{spaces::emotionet_aus::au.begin(), spaces::emotionet_aus::au.end()};
};

}  // namespace sjmt::data

namespace sjmt::detail {

/// The AU number of a header cell such as 'AU 12' or AU12, or -1.
inline int au_column_number(std::string_view cell) {
  cell = unquote(cell);
  if (cell.size() < 3 || (cell[0] != 'A' && cell[0] != 'a') || (cell[1] != 'U' && cell[1] != 'u')) return -1;
  const auto n = parse_int(trim(cell.substr(2)));
  return n && *n > 0 && *n <= data::max_labelled_au ? static_cast<int>(*n) : -1;
}

inline std::string url_file_name(std::string_view url) {
  url = unquote(url);
  const std::size_t slash = url.find_last_of('/');
  return std::string(slash == std::string_view::npos ? url : url.substr(slash + 1));
}

/// Reads the picture of `f` from the image root; false (after reporting) if it failed.
inline bool attach_picture(data::labelled_face& f, std::string_view url, const data::emotionet_options& o,
                           data::load_report& r) {
  if (o.image_root.empty()) return true;
  try {
    f.picture = data::read_image(o.image_root / url_file_name(url), o.channels);
  } catch (const io_error& e) {
    if (!o.skip_bad) throw;
    ++r.skipped;
    r.problems.push_back(e.what());
    return false;
  }
  if (o.width > 0 && o.height > 0) data::fit_to_input(f, o.channels, o.height, o.width);
  return true;
}

}  // namespace sjmt::detail

namespace sjmt::data {

/// An EmotioNet AU file, automatic (tab-separated) or manual (CSV with 'AU k' headers),
/// told apart by the first line. `source` is the image URL. A manual table's header must
/// hold URL, optionally URL orig, and 'AU k' columns (case-insensitive), each once, and
/// every AU of o.required_aus. Throws io_error (missing or empty file, a header column that
/// is unknown, duplicated or missing, wrong column count, unreadable picture) or value_error (a value other than 0, 1, 999)
/// naming the file and line, unless o.skip_bad.
inline loaded_faces load_emotionet_aus(const std::filesystem::path& path, const emotionet_options& o = {}) {
  std::ifstream in(path);
  SJMT_CHECK(io_error, in.good(), path.string(), ": cannot open EmotioNet AU file");
  loaded_faces out;
  std::string line;
  std::size_t line_no = 0;
  std::vector<int> au_of_column;  // AU number per column, -1 for others
  std::size_t url_column = 0, columns = 0;
  char sep = '\t';
  bool header_read = false;
  while (std::getline(in, line)) {
    ++line_no;
    if (!header_read) line = std::string(detail::strip_bom(line));
    if (detail::trim(line).empty()) continue;
    const std::string where = path.string() + ":" + std::to_string(line_no);
    if (!header_read) {
      header_read = true;
      if (line.find('\t') != std::string::npos) {  // automatic file: positions, no header
        columns = 2 + static_cast<std::size_t>(max_labelled_au);
        au_of_column.assign(columns, -1);
        for (int k = 1; k <= max_labelled_au; ++k) au_of_column[static_cast<std::size_t>(k) + 1] = k;
      } else {  // manual table: a header; every cell is URL, URL orig or 'AU k', once
        sep = ',';
        const auto cells = detail::split(line, ',');
        columns = cells.size();
        au_of_column.assign(columns, -1);
        std::vector<int> column_of_au(static_cast<std::size_t>(max_labelled_au) + 1, -1);
        int url = -1, orig = -1;
        for (std::size_t c = 0; c < cells.size(); ++c) {
          const std::string key = detail::column_key(cells[c]);
          const int au = detail::au_column_number(cells[c]);
          int* seen = key == "url" ? &url : key == "url orig" ? &orig : au > 0 ? &column_of_au[static_cast<std::size_t>(au)] : nullptr;
          if (seen == nullptr)
            detail::throw_error<io_error>(std::source_location::current(), where, ": column ", c + 1, " '",
                                          detail::unquote(cells[c]), "' is not an EmotioNet AU table column; expected URL, URL orig or 'AU k' with k in 1..",
                                          max_labelled_au);
          if (*seen >= 0) detail::duplicate_column(path.string(), static_cast<std::size_t>(*seen), c, cells[c]);
          *seen = static_cast<int>(c);
          au_of_column[c] = au;
        }
        SJMT_CHECK(io_error, url >= 0, where, ": header has no URL column: ", line);
        url_column = static_cast<std::size_t>(url);
        std::string missing;
        for (int au : o.required_aus)
          if (au < 1 || au > max_labelled_au || column_of_au[static_cast<std::size_t>(au)] < 0)
          {
            missing += missing.empty() ? "'AU " : ", 'AU ";
            missing += std::to_string(au);
            missing += '\'';
          }
        SJMT_CHECK(io_error, missing.empty(), where, ": header has no column ", missing,
                   " (emotionet_options::required_aus; clear it to accept a table without them)");
        continue;
      }
    }
    const auto cells = detail::split(line, sep);
    if (cells.size() != columns) {
      detail::bad_record<io_error>(o, out.report, where, std::source_location::current(), cells.size(),
                                   " columns, expected ", columns);
      continue;
    }
    labelled_face f;
    bool ok = true;
    for (std::size_t c = 0; c < columns && ok; ++c) {
      const int au = au_of_column[c];
      if (au <= 0) continue;
      const auto v = detail::parse_int(detail::unquote(cells[c]));
      if (!v || (*v != 0 && *v != 1 && *v != 999)) {
        detail::bad_record<value_error>(o, out.report, where, std::source_location::current(), "AU", au, " value '",
                                        cells[c], "' is not 0, 1 or 999");
        ok = false;
        break;
      }
      f.au[static_cast<std::size_t>(au)] = *v == 999 ? au_label::unknown : (*v == 1 ? au_label::present : au_label::absent);
    }
    if (!ok) continue;
    f.source = std::string(detail::unquote(cells[url_column]));
    if (!detail::attach_picture(f, cells[url_column], o, out.report)) continue;
    out.faces.push_back(std::move(f));
    ++out.report.loaded;
  }
  SJMT_CHECK(io_error, header_read, path.string(), ":1: empty file, expected a header (manual table) or tab-separated rows");
  return out;
}

/// An EmotioNet emotion-category CSV. Basic categories fill `emotion` (angry, disgusted,
/// fearful, happy, sad, surprised), compound ones of the paper's Table 4 fill `compound`;
/// awed and appalled fill neither. The header holds URL, optionally URL orig, and all 16
/// categories (case-insensitive), each once; anything else throws io_error naming the
/// column. Throws value_error for a row with two categories.
inline loaded_faces load_emotionet_emotions(const std::filesystem::path& path, const emotionet_options& o = {}) {
  std::ifstream in(path);
  SJMT_CHECK(io_error, in.good(), path.string(), ": cannot open EmotioNet emotion file");
  loaded_faces out;
  std::string line;
  SJMT_CHECK(io_error, static_cast<bool>(std::getline(in, line)), path.string(), ":1: empty file");
  // Columns by name (case-insensitive, a byte-order mark stripped): URL, URL orig and the
  // 16 categories, each once and all of them (a missing category would never be seen).
  const auto header = detail::split(line, ',');
  const std::size_t columns = header.size();
  constexpr std::size_t K = spaces::emotionet_emotion::size;
  std::array<std::string_view, K + 2> names{"url", "url orig"};
  for (std::size_t k = 0; k < K; ++k) names[k + 2] = spaces::emotionet_emotion::class_name(k);
  const std::vector<int> at = detail::match_columns(path.string(), header, names, "EmotioNet emotion");
  SJMT_CHECK(io_error, at[0] >= 0, path.string(), ":1: header has no URL column: ", detail::strip_bom(line));
  const std::size_t url_column = static_cast<std::size_t>(at[0]);
  // Per column: the category's index in spaces::emotionet_emotion, or -1.
  std::vector<int> category(columns, -1);
  std::string missing;
  for (std::size_t k = 0; k < K; ++k) {
    if (at[k + 2] >= 0) category[static_cast<std::size_t>(at[k + 2])] = static_cast<int>(k);
    else {
      missing += missing.empty() ? "" : ", ";
      missing += names[k + 2];
    }
  }
  SJMT_CHECK(io_error, missing.empty(), path.string(), ":1: header has no column for the categories ", missing);
  constexpr std::array<std::pair<std::string_view, int>, 6> basic{
      {{"angry", 0}, {"disgusted", 1}, {"fearful", 2}, {"happy", 3}, {"sad", 5}, {"surprised", 6}}};
  for (std::size_t line_no = 2; std::getline(in, line); ++line_no) {
    if (detail::trim(line).empty()) continue;
    const std::string where = path.string() + ":" + std::to_string(line_no);
    const auto cells = detail::split(line, ',');
    if (cells.size() != columns) {
      detail::bad_record<io_error>(o, out.report, where, std::source_location::current(), cells.size(),
                                   " columns, the header has ", columns);
      continue;
    }
    labelled_face f;
    int chosen = -1, count = 0;
    bool ok = true;
    for (std::size_t c = 0; c < columns; ++c) {
      if (category[c] < 0) continue;
      const auto v = detail::parse_int(detail::unquote(cells[c]));
      if (!v || (*v != 0 && *v != 1 && *v != -1)) {
        detail::bad_record<value_error>(o, out.report, where, std::source_location::current(), "category value '",
                                        cells[c], "' is not 1, 0 or -1");
        ok = false;
        break;
      }
      if (*v == 1) chosen = category[c], ++count;
    }
    if (!ok) continue;
    if (count > 1) {
      detail::bad_record<value_error>(o, out.report, where, std::source_location::current(), count,
                                      " categories marked; expected one");
      continue;
    }
    if (chosen >= 0) {
      const std::string_view name = spaces::emotionet_emotion::class_name(static_cast<std::size_t>(chosen));
      for (const auto& [n, e] : basic)
        if (n == name) f.emotion = e;
      const std::size_t k = spaces::compound_emotion::index_of(name);
      if (k < spaces::compound_emotion::size) f.compound = static_cast<std::int32_t>(k);
    }
    f.source = std::string(detail::unquote(cells[url_column]));
    if (!detail::attach_picture(f, cells[url_column], o, out.report)) continue;
    out.faces.push_back(std::move(f));
    ++out.report.loaded;
  }
  return out;
}

/// Reads the picture of an EmotioNet record from `image_root` (the file named as its URL,
/// `source`), for lazy_source: labels loaded without an image root, pictures on demand.
inline std::function<image(const labelled_face&)> emotionet_picture_reader(std::filesystem::path image_root,
                                                                          int channels = 3) {
  return [root = std::move(image_root), channels](const labelled_face& f) {
    return read_image(root / detail::url_file_name(f.source), channels);
  };
}

/// EmotioNet-style image URL and file name of face i.
inline std::string emotionet_url(std::size_t i) {
  std::string n = std::to_string(i + 1);
  n.insert(0, 10 - std::min<std::size_t>(10, n.size()), '0');
  return "https://s3.us-east-2.amazonaws.com/emotionet/Images/dir01/N_" + n + "_00001.jpg";
}

/// Writes the manual AU table (header URL,URL orig,'AU 1',... over spaces::emotionet_aus;
/// unknown written 999) and, if image_dir is not empty, each picture as a JPEG named as
/// its URL's file.
inline void write_emotionet_aus(const std::filesystem::path& path, const std::vector<labelled_face>& faces,
                                const std::filesystem::path& image_dir = {}) {
  std::ofstream out(path);
  SJMT_CHECK(io_error, out.good(), path.string(), ": cannot write");
  out << "URL,URL orig";
  for (int au : spaces::emotionet_aus::au) out << ",'AU " << au << "'";
  out << '\n';
  if (!image_dir.empty()) std::filesystem::create_directories(image_dir);
  for (std::size_t i = 0; i < faces.size(); ++i) {
    const std::string url = emotionet_url(i);
    out << "'" << url << "',http://orig.example/" << i << ".jpg";
    for (int au : spaces::emotionet_aus::au) {
      const au_label l = faces[i].au[static_cast<std::size_t>(au)];
      out << ',' << (l == au_label::unknown ? 999 : (l == au_label::present ? 1 : 0));
    }
    out << '\n';
    if (!image_dir.empty()) write_jpeg(image_dir / detail::url_file_name(url), faces[i].picture);
  }
  SJMT_CHECK(io_error, out.good(), path.string(), ": write failed");
}

/// Writes the emotion-category CSV (URL, URL orig, 16 one-hot columns) of compound-labelled
/// faces, the URLs numbered from `first` (to match write_emotionet_aus).
inline void write_emotionet_emotions(const std::filesystem::path& path, const std::vector<labelled_face>& faces,
                                     std::size_t first = 0) {
  std::ofstream out(path);
  SJMT_CHECK(io_error, out.good(), path.string(), ": cannot write");
  out << "URL,URL orig";
  for (std::size_t k = 0; k < spaces::emotionet_emotion::size; ++k) out << ',' << spaces::emotionet_emotion::class_name(k);
  out << '\n';
  for (std::size_t i = 0; i < faces.size(); ++i) {
    std::string_view name;
    if (faces[i].compound >= 0) name = spaces::compound_emotion::class_name(static_cast<std::size_t>(faces[i].compound));
    out << emotionet_url(first + i) << ",";
    for (std::size_t k = 0; k < spaces::emotionet_emotion::size; ++k)
      out << ',' << (spaces::emotionet_emotion::class_name(k) == name ? 1 : 0);
    out << '\n';
  }
  SJMT_CHECK(io_error, out.good(), path.string(), ": write failed");
}

}  // namespace sjmt::data
