#pragma once
// Anti-aliased 2-D rasterisation for the face renderer: shapes are signed distance
// functions in pixel units, and a pixel is covered by clamp(0.5 - distance, 0, 1)
// (the area of a pixel-wide box filter across a straight edge). Only the pixels in a
// shape's bounding box are visited, so that small 32x32 faces render fast.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <vector>

#include "../face.hpp"

namespace sjmt::detail {

using data::point;
using data::rgb;

/// An RGB canvas, (H, W) pixels of 3 floats interleaved.
struct canvas {
  int width = 0, height = 0;
  std::vector<float> px;  // (H, W, 3)
  canvas(int w, int h) : width(w), height(h), px(static_cast<std::size_t>(w) * h * 3, 0.0f) {}
  float* at(int x, int y) { return px.data() + (static_cast<std::size_t>(y) * width + x) * 3; }
};

struct box {
  float x0, y0, x1, y1;
};

inline box bounds(std::span<const point> pts, float pad) {
  box b{pts[0].x, pts[0].y, pts[0].x, pts[0].y};
  for (const point& p : pts) {
    b.x0 = std::min(b.x0, p.x), b.y0 = std::min(b.y0, p.y);
    b.x1 = std::max(b.x1, p.x), b.y1 = std::max(b.y1, p.y);
  }
  return {b.x0 - pad, b.y0 - pad, b.x1 + pad, b.y1 + pad};
}

/// Blends `color` into every pixel of `b` with alpha * coverage(pixel centre).
template <class Coverage>
void paint(canvas& c, box b, rgb color, float alpha, Coverage&& coverage) {
  const int x0 = std::max(0, static_cast<int>(std::floor(b.x0)));
  const int y0 = std::max(0, static_cast<int>(std::floor(b.y0)));
  const int x1 = std::min(c.width - 1, static_cast<int>(std::ceil(b.x1)));
  const int y1 = std::min(c.height - 1, static_cast<int>(std::ceil(b.y1)));
  for (int y = y0; y <= y1; ++y)
    for (int x = x0; x <= x1; ++x) {
      const float a = alpha * coverage(point{static_cast<float>(x) + 0.5f, static_cast<float>(y) + 0.5f});
      if (a <= 0.0f) continue;
      float* p = c.at(x, y);
      p[0] += (color.r - p[0]) * a;
      p[1] += (color.g - p[1]) * a;
      p[2] += (color.b - p[2]) * a;
    }
}

inline float clamp01(float v) { return v < 0 ? 0 : (v > 1 ? 1 : v); }

/// Squared distance from p to segment ab.
inline float segment_distance2(point p, point a, point b) {
  const float abx = b.x - a.x, aby = b.y - a.y, apx = p.x - a.x, apy = p.y - a.y;
  const float len2 = abx * abx + aby * aby;
  float t = len2 > 0 ? (apx * abx + apy * aby) / len2 : 0.0f;
  t = t < 0 ? 0 : (t > 1 ? 1 : t);
  const float dx = apx - t * abx, dy = apy - t * aby;
  return dx * dx + dy * dy;
}

/// A closed polygon prepared for coverage queries (even-odd rule). Coverage only needs
/// the distance to edges less than a pixel away, so each edge keeps its bounding box
/// and the exact distance is computed only for the few edges whose box is near.
class polygon_coverage {
 public:
  explicit polygon_coverage(std::span<const point> poly) {
    const std::size_t n = poly.size();
    m_edges.reserve(n);
    for (std::size_t i = 0, j = n - 1; i < n; j = i++) {
      const point a = poly[j], b = poly[i];
      edge e{a, b, 0, 0, std::min(a.x, b.x) - 1, std::max(a.x, b.x) + 1, std::min(a.y, b.y) - 1,
             std::max(a.y, b.y) + 1};
      const float len2 = (b.x - a.x) * (b.x - a.x) + (b.y - a.y) * (b.y - a.y);
      e.inv_len2 = len2 > 0 ? 1.0f / len2 : 0.0f;
      e.slope = a.y != b.y ? (a.x - b.x) / (a.y - b.y) : 0.0f;
      m_edges.push_back(e);
    }
  }
  /// Blends `color` over the polygon into `c`. Equal to paint(c, box, color, alpha, *this)
  /// but row by row: the edge crossings of a row are found once, and only edges within a
  /// pixel of the row are measured.
  void fill(canvas& c, rgb color, float alpha) const {
    float bx0 = 1e30f, bx1 = -1e30f, by0 = 1e30f, by1 = -1e30f;
    for (const edge& e : m_edges)
      bx0 = std::min(bx0, e.x0), bx1 = std::max(bx1, e.x1), by0 = std::min(by0, e.y0), by1 = std::max(by1, e.y1);
    const int x0 = std::max(0, static_cast<int>(std::floor(bx0)));
    const int y0 = std::max(0, static_cast<int>(std::floor(by0)));
    const int x1 = std::min(c.width - 1, static_cast<int>(std::ceil(bx1)));
    const int y1 = std::min(c.height - 1, static_cast<int>(std::ceil(by1)));
    std::vector<float> cross;
    std::vector<const edge*> near;
    for (int y = y0; y <= y1; ++y) {
      const float py = static_cast<float>(y) + 0.5f;
      cross.clear(), near.clear();
      for (const edge& e : m_edges) {
        if ((e.b.y > py) != (e.a.y > py)) cross.push_back(e.slope * (py - e.b.y) + e.b.x);
        if (py >= e.y0 && py <= e.y1) near.push_back(&e);
      }
      std::sort(cross.begin(), cross.end());
      std::size_t passed = 0;  // crossings left of the pixel centre
      for (int x = x0; x <= x1; ++x) {
        const float px = static_cast<float>(x) + 0.5f;
        while (passed < cross.size() && cross[passed] <= px) ++passed;
        const bool inside = (cross.size() - passed) % 2 == 1;
        float d2 = 1.0f;
        for (const edge* e : near) {
          if (px < e->x0 || px > e->x1) continue;
          const float abx = e->b.x - e->a.x, aby = e->b.y - e->a.y, apx = px - e->a.x, apy = py - e->a.y;
          float t = (apx * abx + apy * aby) * e->inv_len2;
          t = t < 0 ? 0 : (t > 1 ? 1 : t);
          const float dx = apx - t * abx, dy = apy - t * aby;
          d2 = std::min(d2, dx * dx + dy * dy);
        }
        float a;
        if (d2 >= 1.0f) {
          if (!inside) continue;
          a = alpha;
        } else {
          const float d = std::sqrt(d2);
          a = alpha * clamp01(inside ? 0.5f + d : 0.5f - d);
        }
        float* q = c.at(x, y);
        q[0] += (color.r - q[0]) * a, q[1] += (color.g - q[1]) * a, q[2] += (color.b - q[2]) * a;
      }
    }
  }

  /// Fraction of the pixel centred at p inside the polygon.
  float operator()(point p) const {
    bool inside = false;
    float d2 = 1.0f;
    for (const edge& e : m_edges) {
      if ((e.b.y > p.y) != (e.a.y > p.y) && p.x < e.slope * (p.y - e.b.y) + e.b.x) inside = !inside;
      if (p.x < e.x0 || p.x > e.x1 || p.y < e.y0 || p.y > e.y1) continue;
      const float abx = e.b.x - e.a.x, aby = e.b.y - e.a.y, apx = p.x - e.a.x, apy = p.y - e.a.y;
      float t = (apx * abx + apy * aby) * e.inv_len2;
      t = t < 0 ? 0 : (t > 1 ? 1 : t);
      const float dx = apx - t * abx, dy = apy - t * aby;
      d2 = std::min(d2, dx * dx + dy * dy);
    }
    const float d = d2 < 1.0f ? std::sqrt(d2) : 1.0f;
    return clamp01(inside ? 0.5f + d : 0.5f - d);
  }

 private:
  struct edge {
    point a, b;
    float inv_len2, slope, x0, x1, y0, y1;
  };
  std::vector<edge> m_edges;
};

/// Squared distance to an open polyline.
inline float polyline_distance2(point p, std::span<const point> line) {
  float d2 = 1e30f;
  for (std::size_t i = 1; i < line.size(); ++i) d2 = std::min(d2, segment_distance2(p, line[i - 1], line[i]));
  return d2;
}

/// Approximate signed distance to the ellipse with centre `c` and semi-axes along `u`, `v`
/// (orthogonal vectors whose lengths are the radii).
inline float ellipse_distance(point p, point c, point u, point v) {
  const float dx = p.x - c.x, dy = p.y - c.y;
  const float lu2 = u.x * u.x + u.y * u.y, lv2 = v.x * v.x + v.y * v.y;
  const float a = (dx * u.x + dy * u.y) / lu2, b = (dx * v.x + dy * v.y) / lv2;  // local coords
  const float k = std::sqrt(a * a + b * b);
  // |grad k| = sqrt((a/|u|)^2 + (b/|v|)^2) / k; first-order distance (k - 1) / |grad k|.
  const float g = std::sqrt(a * a / lu2 + b * b / lv2);
  return g > 1e-12f ? (k - 1.0f) * k / g : -std::sqrt(std::min(lu2, lv2));
}

inline void fill_polygon(canvas& c, std::span<const point> poly, rgb color, float alpha = 1.0f) {
  polygon_coverage(poly).fill(c, color, alpha);
}

/// A stroke of `width` pixels along a polyline; widths under a pixel fade instead of thinning.
inline void stroke(canvas& c, std::span<const point> line, float width, rgb color, float alpha = 1.0f) {
  const float w = std::max(width, 1.0f);
  const float a = alpha * std::min(width, 1.0f);
  const float outer2 = (0.5f * w + 0.5f) * (0.5f * w + 0.5f), inner = 0.5f * w - 0.5f;
  paint(c, bounds(line, w), color, a, [&](point p) {
    const float d2 = polyline_distance2(p, line);
    if (d2 >= outer2) return 0.0f;
    if (d2 <= inner * inner) return 1.0f;
    return clamp01(0.5f + 0.5f * w - std::sqrt(d2));
  });
}

inline void fill_ellipse(canvas& c, point center, point u, point v, rgb color, float alpha = 1.0f,
                         float softness = 1.0f) {
  const float r = std::sqrt(std::max(u.x * u.x + u.y * u.y, v.x * v.x + v.y * v.y)) + softness;
  paint(c, box{center.x - r, center.y - r, center.x + r, center.y + r}, color, alpha,
        [&](point p) { return clamp01(0.5f - ellipse_distance(p, center, u, v) / softness); });
}

/// Separable 3-tap blur with side weight w (0 = none, 1/3 = box).
inline void blur3(canvas& c, float w) {
  if (w <= 0) return;
  std::vector<float> tmp(c.px.size());
  const float m = 1.0f - 2.0f * w;
  const int W = c.width, H = c.height;
  auto idx = [W](int x, int y) { return (static_cast<std::size_t>(y) * W + x) * 3; };
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x)
      for (int k = 0; k < 3; ++k)
        tmp[idx(x, y) + k] = m * c.px[idx(x, y) + k] + w * (c.px[idx(std::max(x - 1, 0), y) + k] +
                                                             c.px[idx(std::min(x + 1, W - 1), y) + k]);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x)
      for (int k = 0; k < 3; ++k)
        c.px[idx(x, y) + k] = m * tmp[idx(x, y) + k] + w * (tmp[idx(x, std::max(y - 1, 0)) + k] +
                                                            tmp[idx(x, std::min(y + 1, H - 1)) + k]);
}

}  // namespace sjmt::detail
