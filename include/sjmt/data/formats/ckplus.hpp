#pragma once
// CK+ (Extended Cohn-Kanade, DATA.md 1.4), read as distributed:
//   cohn-kanade-images/S005/001/S005_001_00000011.png     frames, 8-digit numbers
//   Landmarks/S005/001/S005_001_00000011_landmarks.txt    68 lines "x y" per frame
//   FACS/S005/001/S005_001_00000011_facs.txt              peak frame: lines "AU intensity"
//   Emotion/S005/001/S005_001_00000011_emotion.txt        peak frame, 327 sequences only
// Numbers are MATLAB save -ascii floats ("   3.0000000e+00"); codes (emotion, AU,
// intensity) must be integers exactly (1.4 is not AU 1), landmarks finite. One face per sequence: its last (peak) frame. FACS coding is exhaustive, so the
// AUs a FACS file does not list are absent; a sequence without a FACS file has unknown AUs.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "../../error.hpp"
#include "../../labels/spaces.hpp"
#include "../image_io.hpp"
#include "../landmarks.hpp"
#include "../sample.hpp"
#include "detail/text.hpp"
#include "load_report.hpp"

namespace sjmt::data {

struct ckplus_options : load_options {
  bool labelled_only = false;  ///< keep only sequences with an Emotion file
  int channels = 1;
  int width = 0, height = 0;   ///< resize to this size (landmarks follow); 0: keep
};

}  // namespace sjmt::data

namespace sjmt::detail {

inline std::vector<std::filesystem::path> sorted_entries(const std::filesystem::path& dir, bool dirs) {
  std::vector<std::filesystem::path> v;
  if (!std::filesystem::is_directory(dir)) return v;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (dirs ? e.is_directory() : e.is_regular_file()) v.push_back(e.path());
  std::sort(v.begin(), v.end());
  return v;
}

/// Lines of numbers of a CK+ text file, each line's values; throws io_error naming the line.
inline std::vector<std::vector<double>> read_number_lines(const std::filesystem::path& p) {
  std::ifstream in(p);
  SJMT_CHECK(io_error, in.good(), p.string(), ": cannot open");
  std::vector<std::vector<double>> rows;
  std::string line;
  for (std::size_t n = 1; std::getline(in, line); ++n) {
    if (trim(line).empty()) continue;
    auto v = parse_floats(line);
    SJMT_CHECK(io_error, v.has_value(), p.string(), ":", n, ": not a line of numbers: '", line, "'");
    rows.push_back(std::move(*v));
  }
  return rows;
}

inline std::filesystem::path first_file_ending(const std::filesystem::path& dir, const std::string& suffix) {
  for (const auto& f : sorted_entries(dir, false)) {
    const std::string n = f.filename().string();
    if (n.size() >= suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0) return f;
  }
  return {};
}

}  // namespace sjmt::detail

namespace sjmt::data {

/// One face per CK+ sequence under `root`. Throws io_error (missing folder, bad file, a
/// sequence without frames) or value_error (an emotion code, AU or intensity that is not
/// an integer in range; a non-finite landmark) naming the file and line, unless
/// o.skip_bad. Sequences left out by o.labelled_only are counted in report.filtered.
inline loaded_faces load_ckplus(const std::filesystem::path& root, const ckplus_options& o = {}) {
  namespace fs = std::filesystem;
  const fs::path images = root / "cohn-kanade-images";
  SJMT_CHECK(io_error, fs::is_directory(images), images.string(), ": no such CK+ image folder");
  loaded_faces out;
  for (const fs::path& subject : detail::sorted_entries(images, true))
    for (const fs::path& seq : detail::sorted_entries(subject, true)) {
      const fs::path rel = fs::relative(seq, images);
      std::vector<fs::path> frames;
      for (const fs::path& f : detail::sorted_entries(seq, false))
        if (f.extension() == ".png") frames.push_back(f);
      if (frames.empty()) {
        detail::bad_record<io_error>(o, out.report, seq.string(), std::source_location::current(),
                                     "a CK+ sequence folder without a .png frame");
        continue;
      }
      const fs::path peak = frames.back();
      labelled_face f;
      try {
        const fs::path emotion = detail::first_file_ending(root / "Emotion" / rel, "_emotion.txt");
        if (emotion.empty() && o.labelled_only) {
          ++out.report.filtered;
          continue;
        }
        if (!emotion.empty()) {
          const auto rows = detail::read_number_lines(emotion);
          SJMT_CHECK(io_error, rows.size() == 1 && rows[0].size() == 1, emotion.string(),
                     ":1: expected one number, the emotion code");
          const auto code = detail::integral_value(rows[0][0]);
          SJMT_CHECK(value_error, code && *code >= 0 && *code <= 7, emotion.string(), ":1: emotion code ", rows[0][0],
                     " is not an integer 0..7");
          f.ckplus_emotion = static_cast<std::int32_t>(*code);
          const std::size_t m = spaces::ckplus_to_emotion::apply(static_cast<std::size_t>(f.ckplus_emotion));
          f.emotion = m == unmapped ? -1 : static_cast<std::int32_t>(m);
        }
        const fs::path facs = detail::first_file_ending(root / "FACS" / rel, "_facs.txt");
        if (!facs.empty()) {
          for (int k = 1; k <= max_labelled_au; ++k) f.au[static_cast<std::size_t>(k)] = au_label::absent;
          const auto rows = detail::read_number_lines(facs);
          for (std::size_t r = 0; r < rows.size(); ++r) {
            SJMT_CHECK(io_error, rows[r].size() == 2, facs.string(), ":", r + 1, ": expected 'AU intensity'");
            // FACS codes and intensities are integers written as floats: 1.4 is not AU 1.
            const auto au_code = detail::integral_value(rows[r][0]), level_code = detail::integral_value(rows[r][1]);
            SJMT_CHECK(value_error, au_code && level_code, facs.string(), ":", r + 1, ": AU ", rows[r][0], " intensity ",
                       rows[r][1], ": the AU code and the intensity must be integers");
            const long au = *au_code, level = *level_code;
            SJMT_CHECK(value_error, au >= 1 && au <= max_labelled_au && level >= 0 && level <= 5, facs.string(), ":",
                       r + 1, ": AU ", rows[r][0], " intensity ", rows[r][1], " out of range (AU 1..", max_labelled_au,
                       ", intensity 0..5)");
            f.au[static_cast<std::size_t>(au)] = au_label::present;
            f.au_intensity[static_cast<std::size_t>(au)] = static_cast<std::uint8_t>(level);
          }
        }
        const fs::path lm = root / "Landmarks" / rel / (peak.stem().string() + "_landmarks.txt");
        if (fs::exists(lm)) {
          const auto rows = detail::read_number_lines(lm);
          SJMT_CHECK(io_error, rows.size() == 68, lm.string(), ": ", rows.size(), " landmark lines, expected 68");
          shape68 s{};
          for (std::size_t i = 0; i < 68; ++i) {
            SJMT_CHECK(io_error, rows[i].size() == 2, lm.string(), ":", i + 1, ": expected 'x y'");
            SJMT_CHECK(value_error, std::isfinite(rows[i][0]) && std::isfinite(rows[i][1]), lm.string(), ":", i + 1,
                       ": landmark ", i, " is (", rows[i][0], ", ", rows[i][1], "), expected finite coordinates");
            s[i] = {static_cast<float>(rows[i][0]), static_cast<float>(rows[i][1])};
          }
          f.landmarks = s;
        }
        f.picture = read_image(peak, o.channels);
      } catch (const sjmt::error& e) {
        if (!o.skip_bad) throw;
        ++out.report.skipped;
        out.report.problems.push_back(e.what());
        continue;
      }
      if (o.width > 0 && o.height > 0) fit_to_input(f, o.channels, o.height, o.width);
      f.source = peak.string();
      out.faces.push_back(std::move(f));
      ++out.report.loaded;
    }
  return out;
}

/// Writes sequences as CK+ trees: sequence i is S<100 + i/10>/<i%10 + 1>, frames numbered from
/// 1, Landmarks for every frame that has them, and for the last (peak) frame FACS (present
/// AUs with intensity) and, where ckplus_emotion >= 0, Emotion. Requires: no empty sequence.
inline void write_ckplus(const std::filesystem::path& root, const std::vector<std::vector<labelled_face>>& sequences) {
  namespace fs = std::filesystem;
  auto number = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%16.7e", v);
    return std::string(buf);
  };
  auto padded = [](std::size_t v, std::size_t digits) {
    std::string t = std::to_string(v);
    t.insert(0, digits - std::min(digits, t.size()), '0');
    return t;
  };
  for (std::size_t i = 0; i < sequences.size(); ++i) {
    SJMT_CHECK(value_error, !sequences[i].empty(), "write_ckplus: sequence ", i, " has no frame");
    const std::string subject = "S" + padded(100 + i / 10, 3), seq = padded(i % 10 + 1, 3);
    const fs::path rel = fs::path(subject) / seq;
    fs::create_directories(root / "cohn-kanade-images" / rel);
    std::string stem;
    for (std::size_t k = 0; k < sequences[i].size(); ++k) {
      const labelled_face& f = sequences[i][k];
      stem = subject + "_" + seq + "_" + padded(k + 1, 8);
      write_png(root / "cohn-kanade-images" / rel / (stem + ".png"), f.picture);
      if (f.landmarks) {
        fs::create_directories(root / "Landmarks" / rel);
        std::ofstream lm(root / "Landmarks" / rel / (stem + "_landmarks.txt"));
        for (const point& p : *f.landmarks) lm << number(p.x) << number(p.y) << '\n';
      }
    }
    const labelled_face& peak = sequences[i].back();
    fs::create_directories(root / "FACS" / rel);
    std::ofstream facs(root / "FACS" / rel / (stem + "_facs.txt"));
    for (int au = 1; au <= max_labelled_au; ++au)
      if (peak.au[static_cast<std::size_t>(au)] == au_label::present)
        facs << number(au) << number(peak.au_intensity[static_cast<std::size_t>(au)]) << '\n';
    if (peak.ckplus_emotion >= 0) {
      fs::create_directories(root / "Emotion" / rel);
      std::ofstream em(root / "Emotion" / rel / (stem + "_emotion.txt"));
      em << number(peak.ckplus_emotion) << '\n';
    }
  }
}

/// Writes each face as a CK+ sequence of one (peak) frame.
inline void write_ckplus(const std::filesystem::path& root, const std::vector<labelled_face>& faces) {
  std::vector<std::vector<labelled_face>> sequences;
  sequences.reserve(faces.size());
  for (const labelled_face& f : faces) sequences.push_back({f});
  write_ckplus(root, sequences);
}

}  // namespace sjmt::data
