#pragma once
// FER2013 CSV files (DATA.md 1.1), read exactly as released:
//   fer2013.csv          emotion,pixels,Usage
//   icml_face_data.csv   emotion, Usage, pixels     (other order, spaces before names)
//   train.csv            emotion,pixels             test.csv   pixels
// Header names are matched by name (trimmed, case-insensitive, a UTF-8 byte-order mark
// stripped); a column that is none of these, or one twice, throws. The pixel field may be quoted. Each row
// is a 48x48 grey image of 2304 integers 0..255; emotion 0..6 in FER order (angry,
// disgust, fear, happy, sad, surprise, neutral) is remapped to spaces::emotion.

#include <array>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../../error.hpp"
#include "../../labels/spaces.hpp"
#include "../image.hpp"
#include "../sample.hpp"
#include "detail/columns.hpp"
#include "detail/text.hpp"
#include "load_report.hpp"

namespace sjmt::data {

struct fer2013_options : load_options {
  std::string usage{};  ///< keep only rows of this Usage ("Training", "PublicTest", ...); empty: all
};

/// FER2013 rows as faces. `source` is "file:line"; the row's Usage is appended after '#'.
/// Rows of another Usage are counted in report.filtered; every other row is loaded or,
/// with o.skip_bad, reported: loaded + skipped + filtered = the file's rows.
/// Throws io_error (missing file, an unknown or duplicate column, wrong column count, wrong pixel count, bad number) or
/// value_error (emotion outside 0..6), naming the file and line, unless o.skip_bad.
inline loaded_faces load_fer2013(const std::filesystem::path& path, const fer2013_options& o = {}) {
  std::ifstream in(path);
  SJMT_CHECK(io_error, in.good(), path.string(), ": cannot open FER2013 CSV");
  loaded_faces out;
  std::string line;
  SJMT_CHECK(io_error, static_cast<bool>(std::getline(in, line)), path.string(), ":1: empty file, expected a header");
  // Columns by name, case-insensitive, a byte-order mark stripped; any other column,
  // or one twice, is an error naming it (a capitalised 'Emotion' is the emotion).
  static constexpr std::array<std::string_view, 3> names{"emotion", "pixels", "usage"};
  const auto header = detail::split(line, ',');
  const std::vector<int> at = detail::match_columns(path.string(), header, names, "FER2013");
  const int col_emotion = at[0], col_pixels = at[1], col_usage = at[2];
  SJMT_CHECK(io_error, col_pixels >= 0, path.string(), ":1: header '", detail::strip_bom(line),
             "' has no 'pixels' column");
  const std::size_t columns = header.size();
  for (std::size_t line_no = 2; std::getline(in, line); ++line_no) {
    if (detail::trim(line).empty()) continue;
    const std::string where = path.string() + ":" + std::to_string(line_no);
    const auto fields = detail::split(line, ',');
    if (fields.size() != columns) {
      detail::bad_record<io_error>(o, out.report, where, std::source_location::current(), fields.size(),
                                   " columns, the header has ", columns);
      continue;
    }
    std::string usage;
    if (col_usage >= 0) usage = std::string(detail::unquote(fields[static_cast<std::size_t>(col_usage)]));
    if (!o.usage.empty() && usage != o.usage) {
      ++out.report.filtered;
      continue;
    }
    labelled_face f;
    if (col_emotion >= 0) {
      const auto e = detail::parse_int(detail::unquote(fields[static_cast<std::size_t>(col_emotion)]));
      if (!e || *e < 0 || *e > 6) {
        detail::bad_record<value_error>(o, out.report, where, std::source_location::current(), "emotion '",
                                        fields[static_cast<std::size_t>(col_emotion)], "' is not a FER2013 label 0..6");
        continue;
      }
      f.emotion = static_cast<std::int32_t>(spaces::fer2013_to_emotion::apply(static_cast<std::size_t>(*e)));
    }
    const std::string_view pixels = detail::unquote(fields[static_cast<std::size_t>(col_pixels)]);
    f.picture = image(48, 48, 1);
    std::size_t n = 0;
    bool ok = true;
    for (std::string_view tok : detail::split(pixels, ' ')) {
      if (tok.empty()) continue;
      const auto v = detail::parse_int(tok);
      if (!v || *v < 0 || *v > 255) {
        detail::bad_record<io_error>(o, out.report, where, std::source_location::current(), "pixel ", n, " '",
                                     tok, "' is not an integer 0..255");
        ok = false;
        break;
      }
      if (n < 2304) f.picture.pixels()[n] = static_cast<float>(*v) / 255.0f;
      ++n;
    }
    if (!ok) continue;
    if (n != 2304) {
      detail::bad_record<io_error>(o, out.report, where, std::source_location::current(), n,
                                   " pixels, expected 2304 (48x48)");
      continue;
    }
    f.source = where + (usage.empty() ? "" : "#" + usage);
    out.faces.push_back(std::move(f));
    ++out.report.loaded;
  }
  return out;
}

/// Writes faces as fer2013.csv ("emotion,pixels,Usage"); pictures are converted to 48x48
/// grey; `usage[i]` is row i's Usage. Requires: every face has an emotion (spaces::emotion).
inline void write_fer2013(const std::filesystem::path& path, const std::vector<labelled_face>& faces,
                          const std::vector<std::string>& usage) {
  SJMT_CHECK(value_error, usage.size() == faces.size(), "write_fer2013: ", usage.size(), " usages for ",
             faces.size(), " faces");
  std::ofstream out(path);
  SJMT_CHECK(io_error, out.good(), path.string(), ": cannot write");
  // spaces::emotion index -> FER2013 code (the inverse of fer2013_to_emotion).
  std::array<int, 7> code{};
  for (std::size_t k = 0; k < 7; ++k) code[spaces::fer2013_to_emotion::apply(k)] = static_cast<int>(k);
  out << "emotion,pixels,Usage\n";
  for (std::size_t i = 0; i < faces.size(); ++i) {
    const labelled_face& f = faces[i];
    SJMT_CHECK(value_error, f.emotion >= 0 && f.emotion < 7, "write_fer2013: face ", i, " (", f.source,
               ") has no basic emotion label");
    image g = to_grey(f.picture);
    if (g.width() != 48 || g.height() != 48) g = resize(g, 48, 48);
    out << code[static_cast<std::size_t>(f.emotion)] << ',';
    for (std::size_t p = 0; p < 2304; ++p) {
      const float v = g.pixels()[p];
      out << (p ? " " : "") << static_cast<int>(v <= 0 ? 0 : (v >= 1 ? 255 : v * 255.0f + 0.5f));
    }
    out << ',' << usage[i] << '\n';
  }
  SJMT_CHECK(io_error, out.good(), path.string(), ": write failed");
}

}  // namespace sjmt::data
