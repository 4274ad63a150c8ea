#pragma once
// Pictures and curves of a landmark space's results: the cumulative error
// distribution (CED: the fraction of faces whose NME is at most x) as CSV and
// as a PNG with one curve per run, and a contact sheet of faces with the true
// points in green and the predicted ones in red.
//
//   sjmt::io::write_file_atomic("ced.csv", sjmt::metrics::ced_csv({{"sjmt", &r}}));
//   sjmt::data::write_png("ced.png", sjmt::metrics::ced_plot({{"sjmt", &r}, {"landmarks only", &q}}));
//   sjmt::data::write_png("sheet.png", sjmt::metrics::landmark_sheet(faces, predicted));

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "../data/contact_sheet.hpp"
#include "../data/image.hpp"
#include "../data/landmarks.hpp"
#include "../error.hpp"
#include "regression_metrics.hpp"

namespace sjmt::metrics {

/// A named curve: a run's result on a landmark space (read as points).
using ced_curve = std::pair<std::string, const regression_result*>;

/// "nme,<name>,<name>..." then one row per threshold 0, step, ..., max: the fraction of
/// each run's faces whose NME is at most the threshold.
inline std::string ced_csv(const std::vector<ced_curve>& curves, double max = 0.2, double step = 0.0025) {
  SJMT_CHECK(value_error, !curves.empty() && step > 0 && max > 0, "ced_csv: ", curves.size(), " curves, step ", step,
             ", max ", max);
  std::string out = "nme";
  for (const ced_curve& c : curves) {
    SJMT_CHECK(value_error, c.second != nullptr && c.second->has_nme, "ced_csv: '", c.first,
               "' is not a result read as points");
    out += ',';
    out += c.first;
  }
  out += '\n';
  char cell[32];
  for (std::size_t i = 0; static_cast<double>(i) * step <= max + 1e-12; ++i) {
    const double x = static_cast<double>(i) * step;
    std::snprintf(cell, sizeof cell, "%.4f", x);
    out += cell;
    for (const ced_curve& c : curves) {
      std::snprintf(cell, sizeof cell, ",%.4f", c.second->fraction_within(x));
      out += cell;
    }
    out += '\n';
  }
  return out;
}

/// The CED curves over NME 0 to `max` on white, one colour per run, with axes, ticks
/// at every 0.02 and a legend; the 0.08 and 0.10 thresholds dashed.
inline data::image ced_plot(const std::vector<ced_curve>& curves, double max = 0.2) {
  SJMT_CHECK(value_error, !curves.empty() && max > 0, "ced_plot: ", curves.size(), " curves, max ", max);
  constexpr int W = 480, H = 320, left = 40, bottom = 30, top = 12, right = 12;
  const int pw = W - left - right, ph = H - top - bottom;
  data::image img(W, H, 3);
  for (float& v : img.pixels()) v = 1.0f;
  const auto set = [&img](int x, int y, const float (&c)[3]) {
    if (x >= 0 && y >= 0 && x < img.width() && y < img.height())
      for (int k = 0; k < 3; ++k) img.at(y, x, k) = c[k];
  };
  const float black[3] = {0, 0, 0}, grey[3] = {0.6f, 0.6f, 0.6f};
  const auto px = [&](double nme) { return left + static_cast<int>(std::lround(nme / max * pw)); };
  const auto py = [&](double frac) { return top + ph - static_cast<int>(std::lround(frac * ph)); };
  for (int x = left; x <= left + pw; ++x) set(x, top + ph, black);
  for (int y = top; y <= top + ph; ++y) set(left, y, black);
  char label[16];
  for (int t = 0; t <= static_cast<int>(std::floor(max / 0.02 + 1e-9)); ++t) {
    const int x = px(0.02 * t);
    for (int y = top + ph; y < top + ph + 4; ++y) set(x, y, black);
    if (t % 2 == 0) {
      std::snprintf(label, sizeof label, "%.2f", 0.02 * t);
      data::draw_text(img, x - 10, top + ph + 6, label, 0.0f);
    }
  }
  for (int t = 0; t <= 4; ++t) {
    const int y = py(0.25 * t);
    for (int x = left - 4; x < left; ++x) set(x, y, black);
    std::snprintf(label, sizeof label, "%.2f", 0.25 * t);
    data::draw_text(img, 2, y - 3, label, 0.0f);
  }
  for (double threshold : {0.08, 0.10})
    if (threshold <= max)
      for (int y = top; y < top + ph; y += 4) set(px(threshold), y, grey), set(px(threshold), y + 1, grey);
  data::draw_text(img, left + pw / 2 - 60, H - 10, "NME (inter-ocular)", 0.0f);
  static constexpr float palette[6][3] = {{0.12f, 0.47f, 0.71f}, {0.84f, 0.15f, 0.16f}, {0.17f, 0.63f, 0.17f},
                                          {0.58f, 0.40f, 0.74f}, {1.00f, 0.50f, 0.05f}, {0.55f, 0.34f, 0.29f}};
  for (std::size_t i = 0; i < curves.size(); ++i) {
    SJMT_CHECK(value_error, curves[i].second != nullptr && curves[i].second->has_nme, "ced_plot: '", curves[i].first,
               "' is not a result read as points");
    const float(&c)[3] = palette[i % 6];
    int last = py(curves[i].second->fraction_within(0.0));
    for (int x = left; x <= left + pw; ++x) {
      const double f = curves[i].second->fraction_within(static_cast<double>(x - left) / pw * max);
      const int y = std::isnan(f) ? py(0.0) : py(f);
      for (int yy = std::min(last, y); yy <= std::max(last, y); ++yy) set(x, yy, c), set(x, yy - 1, c);
      last = y;
    }
    const int ly = top + 6 + 12 * static_cast<int>(i);
    for (int x = left + 8; x < left + 24; ++x) set(x, ly + 3, c), set(x, ly + 4, c);  // legend, top left
    data::draw_text(img, left + 28, ly, curves[i].first, 0.0f);
  }
  return img;
}

/// The faces tiled as data::contact_sheet does (with its captions), each with its true
/// landmarks in green and `predicted[i]` (in the pixels of faces[i].picture, as the
/// predictor returns them) in red, 3-pixel crosses.
inline data::image landmark_sheet(std::span<const data::labelled_face> faces, std::span<const data::shape68> predicted,
                                  data::contact_sheet_options o = {}) {
  SJMT_CHECK(value_error, faces.size() == predicted.size(), "landmark_sheet: ", faces.size(), " faces and ",
             predicted.size(), " predicted shapes");
  o.draw_landmarks = false;
  data::image sheet = data::contact_sheet(faces, o);
  const int cell_h = o.tile + o.caption_height;
  const auto cross = [&sheet](int x, int y, float r, float g, float b, int x0, int y0, int tile) {
    for (int d = -1; d <= 1; ++d)
      for (const auto& [X, Y] : {std::pair{x + d, y}, std::pair{x, y + d}})
        if (X >= x0 && Y >= y0 && X < x0 + tile && Y < y0 + tile)
          sheet.at(Y, X, 0) = r, sheet.at(Y, X, 1) = g, sheet.at(Y, X, 2) = b;
  };
  for (std::size_t i = 0; i < faces.size(); ++i) {
    const int x0 = static_cast<int>(i % o.columns) * o.tile, y0 = static_cast<int>(i / o.columns) * cell_h;
    const float sx = static_cast<float>(o.tile) / static_cast<float>(faces[i].picture.width());
    const float sy = static_cast<float>(o.tile) / static_cast<float>(faces[i].picture.height());
    const auto at = [&](const data::point& p) {
      return std::pair{x0 + static_cast<int>(std::lround(p.x * sx)), y0 + static_cast<int>(std::lround(p.y * sy))};
    };
    if (faces[i].landmarks)
      for (const data::point& p : *faces[i].landmarks) {
        const auto [x, y] = at(p);
        cross(x, y, 0.1f, 0.9f, 0.1f, x0, y0, o.tile);
      }
    for (const data::point& p : predicted[i]) {
      const auto [x, y] = at(p);
      cross(x, y, 0.95f, 0.1f, 0.1f, x0, y0, o.tile);
    }
  }
  return sheet;
}

}  // namespace sjmt::metrics
