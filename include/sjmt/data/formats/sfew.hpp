#pragma once
// SFEW 2.0 folders (DATA.md 1.2): <root>/Train/<Emotion>/*.png, <root>/Val/<Emotion>/*.png,
// the aligned faces <root>/Train_Aligned_Faces/<Emotion>/ (143x181) and an unlabelled flat
// <root>/Test/. The folder name -> class mapping is explicit (sfew_folders), never the
// directory listing order. Files are read in sorted order (deterministic).

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "../../error.hpp"
#include "../image_io.hpp"
#include "../sample.hpp"
#include "load_report.hpp"

namespace sjmt::data {

/// SFEW's emotion folders, in spaces::emotion order (index = class).
inline constexpr std::array<std::string_view, 7> sfew_folders{"Angry", "Disgust", "Fear", "Happy",
                                                              "Neutral", "Sad", "Surprise"};

struct sfew_options : load_options {
  std::string split = "Train";  ///< "Train", "Val", "Train_Aligned_Faces", "Val_Aligned_Faces" or "Test"
  int channels = 3;             ///< 1 grey or 3 RGB
  int width = 0, height = 0;    ///< resize to this size; 0: keep each file's size
};

}  // namespace sjmt::data

namespace sjmt::detail {
inline bool is_image_file(const std::filesystem::path& p) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return e == ".png" || e == ".jpg" || e == ".jpeg" || e == ".bmp";
}
}  // namespace sjmt::detail

namespace sjmt::data {

/// The images of one SFEW split. Throws io_error for a missing split folder, an image
/// that does not decode, a file that is not an image or lies outside the emotion folders,
/// or a folder that is not an emotion (naming it), unless o.skip_bad (then counted and
/// reported). Hidden files (".DS_Store") are counted in report.filtered.
inline loaded_faces load_sfew(const std::filesystem::path& root, const sfew_options& o = {}) {
  namespace fs = std::filesystem;
  const fs::path dir = root / o.split;
  SJMT_CHECK(io_error, fs::is_directory(dir), dir.string(), ": no such SFEW split folder");
  loaded_faces out;
  auto load_folder = [&](const fs::path& folder, std::int32_t label) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(folder)) {
      if (!e.is_regular_file()) continue;
      if (e.path().filename().string().starts_with('.')) {  // .DS_Store and the like: left out, counted
        ++out.report.filtered;
        continue;
      }
      files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& file : files) {
      if (!detail::is_image_file(file)) {
        detail::bad_record<io_error>(o, out.report, file.string(), std::source_location::current(),
                                     "not an image file (.png, .jpg, .jpeg or .bmp)");
        continue;
      }
      labelled_face f;
      try {
        f.picture = read_image(file, o.channels);
      } catch (const io_error& err) {
        if (!o.skip_bad) throw;
        ++out.report.skipped;
        out.report.problems.push_back(err.what());
        continue;
      }
      if (o.width > 0 && o.height > 0) fit_to_input(f, o.channels, o.height, o.width);
      f.emotion = label;
      f.source = file.string();
      out.faces.push_back(std::move(f));
      ++out.report.loaded;
    }
  };
  if (o.split == "Test") {
    load_folder(dir, -1);
    return out;
  }
  bool any = false;
  for (std::size_t c = 0; c < sfew_folders.size(); ++c) {
    const fs::path folder = dir / std::string(sfew_folders[c]);
    if (!fs::is_directory(folder)) continue;
    any = true;
    load_folder(folder, static_cast<std::int32_t>(c));
  }
  SJMT_CHECK(io_error, any, dir.string(), ": none of the emotion folders Angry, Disgust, Fear, Happy, Neutral, Sad, Surprise");
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file() && !e.path().filename().string().starts_with('.'))
      detail::bad_record<io_error>(o, out.report, e.path().string(), std::source_location::current(),
                                   "a file outside the emotion folders, so without a label");
    else if (e.is_regular_file())
      ++out.report.filtered;
    if (e.is_directory() && std::find(sfew_folders.begin(), sfew_folders.end(), e.path().filename().string()) == sfew_folders.end())
      detail::bad_record<io_error>(o, out.report, e.path().string(), std::source_location::current(),
                                   "not an SFEW emotion folder");
  }
  return out;
}

/// Writes faces as <root>/<split>/<Emotion>/<Movie>_<9 digits>_<8 digits>.png, the SFEW naming.
/// Requires: every face has an emotion.
inline void write_sfew(const std::filesystem::path& root, const std::string& split, const std::vector<labelled_face>& faces) {
  namespace fs = std::filesystem;
  for (std::size_t i = 0; i < faces.size(); ++i) {
    const labelled_face& f = faces[i];
    SJMT_CHECK(value_error, f.emotion >= 0 && f.emotion < 7, "write_sfew: face ", i, " (", f.source, ") has no emotion");
    const fs::path folder = root / split / std::string(sfew_folders[static_cast<std::size_t>(f.emotion)]);
    fs::create_directories(folder);
    std::string frame = std::to_string(i), clip = std::to_string(i / 10);
    frame.insert(0, 8 - std::min<std::size_t>(8, frame.size()), '0');
    clip.insert(0, 9 - std::min<std::size_t>(9, clip.size()), '0');
    write_png(folder / ("Synthetic_" + clip + "_" + frame + ".png"), f.picture);
  }
}

}  // namespace sjmt::data
