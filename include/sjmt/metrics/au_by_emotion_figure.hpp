#pragma once
// The paper's Figure 2 as a PNG a reader can take in alone: the heat map
// (viridis, 0 to 1) of mean AU score by predicted emotion, with the emotion
// names and image counts on the left, the AUs on top, each cell's mean
// written in it and the colour bar's ends labelled. The same numbers go in
// the markdown and CSV beside it (write_report).

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "../data/contact_sheet.hpp"
#include "../data/image.hpp"
#include "../data/image_io.hpp"
#include "au_by_emotion.hpp"
#include "heat_map.hpp"
#include "report.hpp"

namespace sjmt::metrics {

/// Writes <folder>/<stem>.{md,json,csv} (write_report with the top 3 AUs) and <stem>.png.
inline void write_au_by_emotion_figure(const std::filesystem::path& folder, const std::string& stem,
                                       const au_by_emotion_result& f) {
  write_report(folder, stem, f, 3);
  constexpr int cell = 32, char_w = 6, top = 18, right = 28;
  const rgb_image map = render_heat_map(f.mean, {.cell = std::size_t(cell)});
  std::vector<std::string> rows(f.emotions.size());
  std::size_t widest = 0;
  for (std::size_t e = 0; e < rows.size(); ++e) {
    rows[e] = f.emotions[e] + " (" + std::to_string(f.counts[e]) + ")";
    widest = std::max(widest, rows[e].size());
  }
  const int left = static_cast<int>(widest) * char_w + 8;
  data::image img(left + static_cast<int>(map.width) + right, top + static_cast<int>(map.height) + 4, 3);
  for (float& v : img.pixels()) v = 1.0f;  // white page
  for (std::size_t y = 0; y < map.height; ++y)
    for (std::size_t x = 0; x < map.width; ++x)
      for (int ch = 0; ch < 3; ++ch)
        img.at(top + static_cast<int>(y), left + static_cast<int>(x), ch) =
            float(map.rgb[3 * (y * map.width + x) + std::size_t(ch)]) / 255.0f;
  const int text_end = img.width();
  for (std::size_t e = 0; e < rows.size(); ++e)
    data::draw_text(img, 2, top + static_cast<int>(e) * cell + cell / 2 - 4, rows[e], 0.0f, left);
  for (std::size_t a = 0; a < f.aus.size(); ++a)
    data::draw_text(img, left + static_cast<int>(a) * cell + 3, 5, f.aus[a], 0.0f, text_end);
  for (std::size_t e = 0; e < f.mean.size(); ++e)
    for (std::size_t a = 0; a < f.mean[e].size(); ++a) {
      const double v = f.mean[e][a];
      if (std::isnan(v)) continue;
      char text[16];
      std::snprintf(text, sizeof text, "%.2f", v);
      // light text on the dark (purple, blue) end of viridis, dark on the bright end
      data::draw_text(img, left + static_cast<int>(a) * cell + 4, top + static_cast<int>(e) * cell + cell / 2 - 4,
                      text, v < 0.55 ? 1.0f : 0.0f, left + static_cast<int>(a + 1) * cell);
    }
  const int bar_x = left + static_cast<int>(map.width) + 2;
  data::draw_text(img, bar_x, top, "1", 0.0f, text_end);
  data::draw_text(img, bar_x, top + static_cast<int>(map.height) - 8, "0", 0.0f, text_end);
  data::write_png(folder / (stem + ".png"), img);
}

}  // namespace sjmt::metrics
