#pragma once
// The synthetic FACS face renderer: identity + expression + nuisance -> an image and
// its 68 landmarks.
//
//   sjmt::data::rng r(seed);
//   auto id = sjmt::data::random_identity(r);
//   sjmt::data::expression e;  e.set(12, 4);  e.set(6, 3);           // a smile, D and C
//   auto face = sjmt::data::render_face(id, e, {}, {.width = 32, .height = 32}, r);
//   face.picture;     // (32, 32, 3) float in [0, 1]: (H, W, C)
//   face.landmarks;   // 68 points in pixels, x right, y down
//
// Ensures: the output depends only on the arguments and the state of `r` (deterministic).

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <vector>

#include "../../error.hpp"
#include "../image.hpp"
#include "../random.hpp"
#include "detail/raster.hpp"
#include "expression.hpp"
#include "face.hpp"

namespace sjmt::data {

enum class occluder : std::uint8_t { none, sunglasses, hand, bar };

/// Everything about a picture that is not the face: pose, light, camera, occlusion.
struct nuisance {
  float rotation = 0;      ///< in-plane, radians
  float scale = 1;         ///< 1: the face fills about 85 % of the image height
  float shift_x = 0, shift_y = 0;  ///< translation, in fractions of the image size
  float yaw = 0;           ///< radians; foreshortens one side and shifts the nose
  float light = 0;         ///< strength of a linear illumination gradient, 0..1
  float light_angle = 0;   ///< its direction, radians
  float brightness = 1;    ///< global gain
  float noise = 0;         ///< standard deviation of additive pixel noise
  float blur = 0;          ///< 3-tap blur side weight, 0..1/3
  occluder occlusion = occluder::none;
  float occluder_x = 0, occluder_y = 0, occluder_size = 0.3f, occluder_angle = 0;
  rgb occluder_color{0.1f, 0.1f, 0.1f};
};

/// Ranges for `random_nuisance`; `amount` 0 gives a frontal lab picture, 1 "in the wild".
struct nuisance_level {
  float amount = 0.5f;
  float occlusion_probability = 0.1f;
};

inline nuisance random_nuisance(rng& r, const nuisance_level& l) {
  const float a = l.amount;
  nuisance n;
  n.rotation = a * r.uniform(-0.35f, 0.35f);
  n.scale = 1.0f + a * r.uniform(-0.2f, 0.12f);
  n.shift_x = a * r.uniform(-0.08f, 0.08f);
  n.shift_y = a * r.uniform(-0.08f, 0.08f);
  n.yaw = a * r.uniform(-0.6f, 0.6f);
  n.light = a * r.uniform(0.0f, 0.8f);
  n.light_angle = r.uniform(0.0f, 6.2831853f);
  n.brightness = 1.0f + a * r.uniform(-0.35f, 0.2f);
  n.noise = a * r.uniform(0.0f, 0.06f);
  n.blur = a * r.uniform(0.0f, 0.3f);
  if (r.bernoulli(l.occlusion_probability)) {
    n.occlusion = static_cast<occluder>(1 + r.below(3));
    n.occluder_x = r.uniform(-0.4f, 0.4f);
    n.occluder_y = r.uniform(-0.6f, 0.3f);
    n.occluder_size = r.uniform(0.2f, 0.4f);
    n.occluder_angle = r.uniform(-1.0f, 1.0f);
    n.occluder_color = {r.uniform(), r.uniform(), r.uniform()};
  }
  return n;
}

struct render_options {
  int width = 32;
  int height = 32;
  int channels = 3;  ///< 3 RGB or 1 grey
};

struct rendered_face {
  image picture;      ///< (height, width, channels) in [0, 1]
  shape68 landmarks;  ///< pixel coordinates, x right, y down, (0, 0) the image's top-left corner
};

}  // namespace sjmt::data

namespace sjmt::detail {

using data::nuisance;
using data::render_options;

/// Face coordinates -> pixels: yaw-like foreshortening on a cylinder, then rotation, scale
/// and translation.
struct view {
  float cos_yaw, sin_yaw, c, s, k, cx, cy, half_width;
  view(const nuisance& n, const render_options& o, float half_width_)
      : cos_yaw(std::cos(n.yaw)), sin_yaw(std::sin(n.yaw)), c(std::cos(n.rotation)),
        s(std::sin(n.rotation)), k(0.43f * static_cast<float>(std::min(o.width, o.height)) * n.scale),
        cx(static_cast<float>(o.width) * (0.5f + n.shift_x)),
        cy(static_cast<float>(o.height) * (0.5f + n.shift_y)), half_width(half_width_) {}

  /// `bulge` adds depth (the nose stands out of the face).
  point operator()(point f, float bulge = 0) const {
    const float u = std::min(std::fabs(f.x) / (half_width * 1.05f), 1.0f);
    const float depth = 0.55f * half_width * std::sqrt(1.0f - u * u) + bulge;
    const float x = f.x * cos_yaw + depth * sin_yaw;
    const float y = f.y - 0.05f;
    return {cx + k * (c * x + s * y), cy - k * (-s * x + c * y)};
  }
  /// A direction vector (no depth).
  point vec(point d) const { return {k * (c * d.x * cos_yaw + s * d.y), -k * (-s * d.x * cos_yaw + c * d.y)}; }
};

inline rgb scale(rgb c, float f) { return {c.r * f, c.g * f, c.b * f}; }
inline rgb mix(rgb a, rgb b, float t) { return {a.r + (b.r - a.r) * t, a.g + (b.g - a.g) * t, a.b + (b.b - a.b) * t}; }

}  // namespace sjmt::detail

namespace sjmt::data {

/// Renders `id` wearing expression `e` under nuisance `n`; `noise` supplies the pixel noise.
/// Requires: o.width, o.height >= 8; o.channels 1 or 3.
inline rendered_face render_face(const identity& id, const expression& e, const nuisance& n,
                                 const render_options& o, rng& noise) {
  using sjmt::detail::mix;
  using sjmt::detail::scale;
  using sjmt::detail::canvas;
  using sjmt::detail::fill_ellipse;
  using sjmt::detail::fill_polygon;
  using sjmt::detail::stroke;
  SJMT_CHECK(value_error, o.width >= 8 && o.height >= 8, "render_face: image size ", o.width, "x",
             o.height, " is below the 8x8 minimum");
  SJMT_CHECK(value_error, o.channels == 1 || o.channels == 3, "render_face: ", o.channels,
             " channels; expected 1 (grey) or 3 (RGB)");

  const shape68 face = apply_aus(neutral_shape(id), e);
  const sjmt::detail::view v(n, o, id.face_width);
  shape68 L{};
  for (std::size_t i = 0; i < 68; ++i) {
    const float bulge = (i >= 27 && i <= 35) ? (i == 30 || i == 33 ? 0.16f : 0.09f) : 0.0f;
    L[i] = v(face[i], bulge);
  }
  const float px = v.k;  // pixels per face unit

  canvas c(o.width, o.height);
  // Background: a linear gradient between two colours.
  {
    const float ga = id.background.r * 6.28f;
    const float dx = std::cos(ga), dy = std::sin(ga);
    for (int y = 0; y < o.height; ++y)
      for (int x = 0; x < o.width; ++x) {
        const float t = sjmt::detail::clamp01(0.5f + 0.5f * (dx * (static_cast<float>(x) / static_cast<float>(o.width) - 0.5f) +
                                                              dy * (static_cast<float>(y) / static_cast<float>(o.height) - 0.5f)) * 1.6f);
        const rgb b = mix(id.background, id.background2, t);
        float* p = c.at(x, y);
        p[0] = b.r, p[1] = b.g, p[2] = b.b;
      }
  }
  const float fw = id.face_width;
  const rgb shadow = scale(id.skin, 0.72f);
  const rgb dark = scale(id.skin, 0.45f);
  // Long hair behind the head, neck, ears.
  if (id.hair_style == 2) {
    std::array<point, 8> back{v({-fw * 1.25f, -0.7f}), v({-fw * 1.3f, 0.4f}), v({-fw * 0.9f, 1.15f}), v({0, 1.25f}),
                              v({fw * 0.9f, 1.15f}), v({fw * 1.3f, 0.4f}), v({fw * 1.25f, -0.7f}), v({0, -0.6f})};
    fill_polygon(c, back, id.hair);
  }
  {
    std::array<point, 4> neck{v({-0.33f, -0.4f}), v({0.33f, -0.4f}), v({0.4f, -1.6f}), v({-0.4f, -1.6f})};
    fill_polygon(c, neck, shadow);
    for (float side : {-1.0f, 1.0f})
      fill_ellipse(c, v({side * fw * 0.98f, 0.15f}), v.vec({0.09f, 0}), v.vec({0, 0.17f}), scale(id.skin, 0.85f));
  }
  // Face: the jaw contour closed by the skull's arc.
  std::array<point, 17 + 11> outline{};
  std::copy(L.begin(), L.begin() + 17, outline.begin());
  for (int k = 1; k <= 11; ++k) {
    const float a = 3.14159265f * static_cast<float>(k) / 12.0f;
    outline[static_cast<std::size_t>(16 + k)] = v({fw * std::cos(a) * (1.0f - 0.06f * std::sin(a)), 0.1f + id.forehead * std::sin(a)});
  }
  fill_polygon(c, outline, id.skin);
  // Hair cap down to the hairline (style 1 adds a fringe).
  {
    std::array<point, 13 + 7> cap{};
    for (int k = 0; k <= 12; ++k) {
      const float a = 3.14159265f * static_cast<float>(k) / 12.0f;
      cap[static_cast<std::size_t>(k)] = v({fw * 1.04f * std::cos(a), 0.1f + (id.forehead + 0.06f) * std::sin(a)});
    }
    for (int k = 0; k < 7; ++k) {
      const float t = static_cast<float>(k) / 6.0f;  // from the image left to the right
      const float x = -fw * 1.02f + 2.04f * fw * t;
      const float dip = id.hair_style == 1 ? 0.18f * std::sin(3.14159265f * t) : -0.04f * std::sin(3.14159265f * t);
      cap[static_cast<std::size_t>(13 + k)] = v({x, (std::fabs(x) > 0.8f * fw ? 0.25f : id.hairline - dip)});
    }
    fill_polygon(c, cap, id.hair);
  }
  // Appearance changes that are not landmark motion: shading, folds and wrinkles.
  const float line_w = std::max(0.02f * px, 0.35f);
  auto crease = [&](std::initializer_list<point> pts, float alpha, rgb col) {
    if (alpha <= 0.02f) return;
    std::array<point, 4> p{};
    std::size_t m = 0;
    for (point q : pts) p[m++] = v(q);
    stroke(c, std::span<const point>(p.data(), m), line_w, col, std::min(alpha, 1.0f));
  };
  const float s6 = e.strength(6), s12 = e.strength(12);
  for (float side : {-1.0f, 1.0f}) {
    const float cheek = std::max(s6, 0.6f * s12);
    if (cheek > 0)
      fill_ellipse(c, v({side * (id.eye_dx + 0.06f), id.eye_y - 0.27f + 0.06f * cheek}), v.vec({0.13f, 0}),
                   v.vec({0, 0.1f}), rgb{id.skin.r * 0.98f, id.skin.g * 0.72f, id.skin.b * 0.7f}, 0.55f * cheek,
                   std::max(0.08f * px, 1.0f));
    // Nasolabial fold: from beside the nostril to beyond the mouth corner.
    const float fold = 0.15f + 0.85f * std::max({s12, e.strength(11), 0.8f * e.strength(10), 0.6f * s6, 0.5f * e.strength(9)});
    const point wing = face[side < 0 ? 31u : 35u], corner = face[side < 0 ? 48u : 54u];
    crease({{wing.x + side * 0.04f, wing.y + 0.02f}, {corner.x + side * 0.09f, 0.5f * (wing.y + corner.y)},
            {corner.x + side * 0.06f, corner.y - 0.06f}},
           0.6f * fold, dark);
    const float eo = side * (id.eye_dx + id.eye_w);
    crease({{eo + side * 0.03f, id.eye_y + 0.03f}, {eo + side * 0.1f, id.eye_y + 0.05f}}, s6, dark);  // crow's feet
    crease({{eo + side * 0.03f, id.eye_y - 0.02f}, {eo + side * 0.1f, id.eye_y - 0.05f}}, s6, dark);
    const float dimple = e.strength(14) * (e.side[14] == face_side::both || (e.side[14] == face_side::right) == (side < 0) ? 1.0f : 0.1f);
    if (dimple > 0) {
      const point q = face[side < 0 ? 48u : 54u];
      crease({{q.x + side * 0.03f, q.y + 0.04f}, {q.x + side * 0.045f, q.y - 0.03f}}, dimple, dark);
    }
  }
  const float by = id.brow_y + 0.1f;
  const float s1 = e.strength(1), s2 = e.strength(2), s4 = e.strength(4), s9 = e.strength(9);
  for (int k = 0; k < 3; ++k) {  // forehead: central wrinkles (AU1), lateral (AU2)
    const float y = by + 0.04f + 0.08f * static_cast<float>(k);
    crease({{-0.22f, y - 0.02f}, {0, y}, {0.22f, y - 0.02f}}, 0.8f * s1, shadow);
    crease({{-0.5f, y - 0.03f}, {-0.25f, y}}, 0.7f * s2, shadow);
    crease({{0.25f, y}, {0.5f, y - 0.03f}}, 0.7f * s2, shadow);
  }
  crease({{-0.05f, id.brow_y - 0.05f}, {-0.04f, id.brow_y + 0.08f}}, s4, dark);  // glabellar furrows
  crease({{0.05f, id.brow_y - 0.05f}, {0.04f, id.brow_y + 0.08f}}, s4, dark);
  for (int k = 0; k < 2; ++k) {  // nose wrinkles
    const float y = id.eye_y - 0.1f - 0.06f * static_cast<float>(k);
    crease({{-0.09f, y}, {-0.02f, y + 0.02f}}, s9, dark);
    crease({{0.02f, y + 0.02f}, {0.09f, y}}, s9, dark);
  }
  crease({{-0.08f, face[8].y + 0.12f}, {0, face[8].y + 0.1f}, {0.08f, face[8].y + 0.12f}}, e.strength(17), dark);
  // Eyes: sclera, iris and pupil clipped by the lids, lid lines.
  for (int eye = 0; eye < 2; ++eye) {
    const std::size_t b = eye == 0 ? 36 : 42;
    const std::array<point, 6> lid{L[b], L[b + 1], L[b + 2], L[b + 3], L[b + 4], L[b + 5]};
    fill_polygon(c, lid, rgb{0.93f, 0.92f, 0.9f});
    point centre{0, 0};
    for (const point& q : lid) centre.x += q.x / 6, centre.y += q.y / 6;
    const point cf{(face[b].x + face[b + 3].x) * 0.5f, face[b].y};
    centre = v(cf);
    const float ri = 0.055f * px, rp = 0.025f * px;
    const sjmt::detail::polygon_coverage lid_cover(lid);
    auto clipped_disc = [&](float r, rgb col) {
      sjmt::detail::paint(c, sjmt::detail::box{centre.x - r - 1, centre.y - r - 1, centre.x + r + 1, centre.y + r + 1}, col, 1.0f,
                          [&](point p) {
                            const float dd = std::hypot(p.x - centre.x, p.y - centre.y) - r;
                            return std::min(sjmt::detail::clamp01(0.5f - dd), lid_cover(p));
                          });
    };
    clipped_disc(ri, id.iris);
    clipped_disc(rp, rgb{0.03f, 0.03f, 0.03f});
    const std::array<point, 4> upper{L[b], L[b + 1], L[b + 2], L[b + 3]};
    stroke(c, upper, std::max(0.025f * px, 0.5f), rgb{0.1f, 0.07f, 0.06f});
    const std::array<point, 4> lower{L[b + 3], L[b + 4], L[b + 5], L[b]};
    stroke(c, lower, line_w, dark, 0.5f);
  }
  // Brows.
  for (std::size_t b : {17u, 22u}) {
    const std::array<point, 5> brow{L[b], L[b + 1], L[b + 2], L[b + 3], L[b + 4]};
    stroke(c, brow, id.brow_thickness * px, scale(id.hair, 0.8f));
  }
  // Nose: the lower contour and nostrils, and a shadow along the bridge.
  {
    const std::array<point, 5> lower{L[31], L[32], L[33], L[34], L[35]};
    stroke(c, lower, line_w, dark, 0.8f);
    const std::array<point, 4> bridge{L[27], L[28], L[29], L[30]};
    stroke(c, bridge, std::max(0.03f * px, 0.4f), shadow, 0.5f);
    for (std::size_t k : {32u, 34u})
      fill_ellipse(c, L[k], v.vec({0.025f, 0}), v.vec({0, 0.015f}), scale(id.skin, 0.3f), 0.8f);
  }
  // Mouth: lips, the opening with upper teeth, the lip line.
  {
    std::array<point, 12> outer{};
    std::copy(L.begin() + 48, L.begin() + 60, outer.begin());
    fill_polygon(c, outer, id.lips);
    const std::array<point, 8> inner{L[60], L[61], L[62], L[63], L[64], L[65], L[66], L[67]};
    const float gap = face[66].y < face[62].y ? face[62].y - face[66].y : 0.0f;
    if (gap > 0.012f) {
      fill_polygon(c, inner, rgb{0.18f, 0.05f, 0.06f});
      const float tooth = std::min(0.035f, 0.45f * gap);
      std::array<point, 8> teeth{L[60], L[61], L[62], L[63], L[64], v({face[63].x, face[63].y - tooth}),
                                 v({face[62].x, face[62].y - tooth}), v({face[61].x, face[61].y - tooth})};
      const sjmt::detail::polygon_coverage teeth_cover(teeth), inner_cover(inner);
      sjmt::detail::paint(c, sjmt::detail::bounds(teeth, 1.0f), rgb{0.92f, 0.9f, 0.85f}, 1.0f,
                          [&](point p) { return std::min(teeth_cover(p), inner_cover(p)); });
    }
    const std::array<point, 5> line{L[60], L[61], L[62], L[63], L[64]};
    stroke(c, line, line_w * 1.2f, scale(id.lips, 0.45f));
  }
  // Occluders, in face coordinates so that they move with the face.
  switch (n.occlusion) {
    case occluder::none: break;
    case occluder::sunglasses:
      for (float side : {-1.0f, 1.0f})
        fill_ellipse(c, v({side * id.eye_dx, id.eye_y}), v.vec({0.17f, 0}), v.vec({0, 0.1f}), n.occluder_color);
      stroke(c, std::array<point, 2>{v({-id.eye_dx + 0.15f, id.eye_y + 0.03f}), v({id.eye_dx - 0.15f, id.eye_y + 0.03f})},
             0.03f * px, n.occluder_color);
      break;
    case occluder::hand:
      fill_ellipse(c, v({n.occluder_x, n.occluder_y}), v.vec({n.occluder_size, 0}),
                   v.vec({0, n.occluder_size * 0.75f}), mix(id.skin, n.occluder_color, 0.15f));
      break;
    case occluder::bar: {
      const float ca = std::cos(n.occluder_angle) * n.occluder_size, sa = std::sin(n.occluder_angle) * n.occluder_size;
      const float x = n.occluder_x, y = n.occluder_y;
      std::array<point, 4> bar{v({x - 3 * ca - 0.3f * sa, y - 3 * sa + 0.3f * ca}), v({x + 3 * ca - 0.3f * sa, y + 3 * sa + 0.3f * ca}),
                               v({x + 3 * ca + 0.3f * sa, y + 3 * sa - 0.3f * ca}), v({x - 3 * ca + 0.3f * sa, y - 3 * sa - 0.3f * ca})};
      fill_polygon(c, bar, n.occluder_color);
      break;
    }
  }
  // Camera: illumination gradient and gain, blur, noise.
  const float lx = std::cos(n.light_angle), ly = std::sin(n.light_angle);
  for (int y = 0; y < o.height; ++y)
    for (int x = 0; x < o.width; ++x) {
      const float g = n.brightness * (1.0f + n.light * (lx * (static_cast<float>(x) / static_cast<float>(o.width) - 0.5f) +
                                                        ly * (static_cast<float>(y) / static_cast<float>(o.height) - 0.5f)));
      float* p = c.at(x, y);
      p[0] *= g, p[1] *= g, p[2] *= g;
    }
  sjmt::detail::blur3(c, n.blur);
  rendered_face out{image(o.width, o.height, o.channels), L};
  // The canvas is (H, W, 3) like the picture: pixel i's values land at i * channels.
  // The noise is drawn pixel by pixel, channel by channel.
  float* dst = out.picture.pixels().data();
  const std::size_t plane = static_cast<std::size_t>(o.width) * o.height;
  for (std::size_t i = 0; i < plane; ++i) {
    const float* p = c.px.data() + 3 * i;
    if (o.channels == 3) {
      for (std::size_t k = 0; k < 3; ++k) {
        const float z = n.noise > 0 ? n.noise * noise.normal() : 0.0f;
        dst[3 * i + k] = sjmt::detail::clamp01(p[k] + z);
      }
    } else {
      const float z = n.noise > 0 ? n.noise * noise.normal() : 0.0f;
      dst[i] = sjmt::detail::clamp01(0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2] + z);
    }
  }
  return out;
}

}  // namespace sjmt::data
