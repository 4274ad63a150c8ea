#pragma once
// A heat map of a matrix (Figure 2: predicted emotions x AUs) as an RGB pixel
// buffer: one square cell per value, a grid between cells, and a vertical
// colour bar (top = vmax, bottom = vmin) on the right. The numbers themselves
// go in the markdown beside it (tables.hpp); saving the pixels as PNG is left
// to the image I/O module, so nothing here writes files.
//
// Colour scale: viridis (dark purple -> blue -> green -> yellow), linear
// between 9 stops approximating matplotlib's viridis; t = (v - vmin)/(vmax - vmin)
// clamped to [0, 1]. Undefined values (NaN) are drawn in `undefined_colour`.
//
//   rgb_image img = render_heat_map(result.mean);          // cell 32 px, range [0, 1]
//   // img.width, img.height, img.rgb (row-major, 3 bytes per pixel)

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../error.hpp"

namespace sjmt::metrics {

using rgb = std::array<std::uint8_t, 3>;

/// An 8-bit RGB image, rows top to bottom, 3 bytes per pixel.
struct rgb_image {
  std::size_t width = 0;
  std::size_t height = 0;
  std::vector<std::uint8_t> rgb;

  metrics::rgb pixel(std::size_t x, std::size_t y) const {
    const std::size_t i = 3 * (y * width + x);
    return {rgb[i], rgb[i + 1], rgb[i + 2]};
  }
};

struct heat_map_options {
  std::size_t cell = 32;            ///< cell side, pixels
  std::size_t grid = 1;             ///< grid line width, pixels (0: no grid)
  double vmin = 0.0;                ///< value drawn with the first colour
  double vmax = 1.0;                ///< value drawn with the last colour
  bool auto_range = false;          ///< use the matrix's own min and max instead
  bool colour_bar = true;
  std::size_t bar_width = 16;
  std::size_t bar_gap = 8;
  rgb grid_colour{255, 255, 255};
  rgb background{255, 255, 255};
  rgb undefined_colour{160, 160, 160};
};

/// The colour of t in [0, 1] on the viridis scale (t is clamped; NaN gives t = 0).
inline rgb viridis(double t) {
  static constexpr std::array<std::array<double, 3>, 9> stops{{{68, 1, 84},
                                                               {71, 44, 122},
                                                               {59, 81, 139},
                                                               {44, 113, 142},
                                                               {33, 144, 141},
                                                               {39, 173, 129},
                                                               {92, 200, 99},
                                                               {170, 220, 50},
                                                               {253, 231, 37}}};
  t = std::isnan(t) ? 0.0 : std::clamp(t, 0.0, 1.0);
  const double x = t * double(stops.size() - 1);
  const std::size_t i = std::min(static_cast<std::size_t>(x), stops.size() - 2);
  const double f = x - double(i);
  rgb c{};
  for (std::size_t k = 0; k < 3; ++k)
    c[k] = static_cast<std::uint8_t>(std::lround(stops[i][k] + f * (stops[i + 1][k] - stops[i][k])));
  return c;
}

/// Renders `m` (rows x columns, every row the same length) as a heat map.
inline rgb_image render_heat_map(const std::vector<std::vector<double>>& m,
                                 const heat_map_options& o = {}) {
  SJMT_CHECK(shape_error, !m.empty() && !m[0].empty(), "render_heat_map: the matrix is empty");
  const std::size_t rows = m.size(), cols = m[0].size();
  for (std::size_t r = 0; r < rows; ++r)
    SJMT_CHECK(shape_error, m[r].size() == cols, "render_heat_map: row ", r, " has ", m[r].size(),
               " values, row 0 has ", cols);
  SJMT_CHECK(value_error, o.cell > 0, "render_heat_map: cell size must be > 0");
  double lo = o.vmin, hi = o.vmax;
  if (o.auto_range) {
    lo = INFINITY, hi = -INFINITY;
    for (const auto& row : m)
      for (double v : row)
        if (!std::isnan(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    if (!(lo <= hi)) lo = 0, hi = 1;  // nothing defined
    if (lo == hi) hi = lo + 1;
  }
  SJMT_CHECK(value_error, lo < hi, "render_heat_map: vmin (", lo, ") must be below vmax (", hi, ")");

  const std::size_t step = o.cell + o.grid;
  const std::size_t grid_w = cols * step + o.grid, grid_h = rows * step + o.grid;
  const std::size_t bar_x = grid_w + o.bar_gap;
  rgb_image img;
  img.width = o.colour_bar ? bar_x + o.bar_width + 2 * o.grid : grid_w;
  img.height = grid_h;
  img.rgb.resize(img.width * img.height * 3);
  auto put = [&](std::size_t x, std::size_t y, rgb c) {
    std::copy(c.begin(), c.end(), img.rgb.begin() + static_cast<std::ptrdiff_t>(3 * (y * img.width + x)));
  };
  auto colour_of = [&](double v) { return std::isnan(v) ? o.undefined_colour : viridis((v - lo) / (hi - lo)); };

  for (std::size_t y = 0; y < img.height; ++y)
    for (std::size_t x = 0; x < img.width; ++x) put(x, y, o.background);
  for (std::size_t y = 0; y < grid_h; ++y)
    for (std::size_t x = 0; x < grid_w; ++x) {
      const bool on_grid = x % step < o.grid || y % step < o.grid;
      put(x, y, on_grid ? o.grid_colour : colour_of(m[y / step][x / step]));
    }
  if (o.colour_bar) {
    const std::size_t inner = grid_h - 2 * o.grid;  // rows of colour, top = hi
    for (std::size_t y = 0; y < grid_h; ++y)
      for (std::size_t x = bar_x; x < img.width; ++x) {
        const bool frame = y < o.grid || y >= grid_h - o.grid || x < bar_x + o.grid ||
                           x >= img.width - o.grid;
        const double t = inner <= 1 ? 1.0 : 1.0 - double(y - o.grid) / double(inner - 1);
        put(x, y, frame ? o.grid_colour : viridis(t));
      }
  }
  return img;
}

}  // namespace sjmt::metrics
