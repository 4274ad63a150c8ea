#pragma once
// The paper's augmentation: zero-pad by 4, take a random crop of the input size, flip
// horizontally with probability 1/2.
// Landmarks follow every step; a flip also swaps the subject's left and right points
// (mirror_index), so point 36 stays the subject's right outer eye corner.

#include <cstddef>
#include <cstdint>

#include "../../error.hpp"
#include "../image.hpp"
#include "../landmarks.hpp"
#include "../random.hpp"
#include "../sample.hpp"

namespace sjmt::data {

struct augment_options {
  int pad = 4;        ///< zero padding on every side before the crop (the paper: 4)
  bool flip = true;   ///< horizontal flip with probability 1/2
};

/// One draw of the augmentation: the crop offset from the centred window and the flip.
struct crop_flip {
  int dx = 0, dy = 0;
  bool flip = false;
};

/// Draws a crop offset uniform in [-pad, pad]^2 and a flip with probability 1/2.
inline crop_flip draw_crop_flip(const augment_options& o, rng& r) {
  SJMT_CHECK(value_error, o.pad >= 0, "augment: pad ", o.pad, " is negative");
  crop_flip c;
  c.dx = static_cast<int>(r.below(static_cast<std::uint32_t>(2 * o.pad + 1))) - o.pad;
  c.dy = static_cast<int>(r.below(static_cast<std::uint32_t>(2 * o.pad + 1))) - o.pad;
  c.flip = o.flip && r.bernoulli(0.5f);
  return c;
}

/// Applies a drawn crop and flip to `f`: the zero-padded picture shifted by (dx, dy), then
/// mirrored. Ensures: the picture keeps its size; landmarks move with the pixels.
inline void apply_crop_flip(labelled_face& f, const crop_flip& a) {
  const int w = f.picture.width(), h = f.picture.height(), ch = f.picture.channels();
  const int dx = a.dx, dy = a.dy;
  const bool flip = a.flip;
  if (dx == 0 && dy == 0 && !flip) return;
  image out(w, h, ch);
  for (int y = 0; y < h; ++y) {
    const int sy = y + dy;
    if (sy < 0 || sy >= h) continue;
    for (int x = 0; x < w; ++x) {
      const int sx = (flip ? w - 1 - x : x) + dx;
      if (sx >= 0 && sx < w)
        for (int c = 0; c < ch; ++c) out.at(y, x, c) = f.picture.at(sy, sx, c);
    }
  }
  f.picture = std::move(out);
  if (f.landmarks) {
    shape68 moved{};
    for (std::size_t i = 0; i < 68; ++i) {
      const point p = (*f.landmarks)[i];
      const float x = p.x - static_cast<float>(dx), y = p.y - static_cast<float>(dy);
      if (flip)
        moved[static_cast<std::size_t>(mirror_index[i])] = {static_cast<float>(w) - x, y};
      else
        moved[i] = {x, y};
    }
    f.landmarks = moved;
  }
}

/// Pads `f` by o.pad, crops a random window of its original size, and flips it with
/// probability 1/2 (draw_crop_flip then apply_crop_flip).
inline void augment(labelled_face& f, const augment_options& o, rng& r) { apply_crop_flip(f, draw_crop_flip(o, r)); }

}  // namespace sjmt::data
