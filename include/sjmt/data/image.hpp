#pragma once
// A host image: float32 in [0, 1], channels last, (H, W, C) interleaved, as the
// renderer's canvas, stb's decoded files and the model's (N, H, W, C) input all are,
// so that no step between a pixel's first value and a batch reorders it.
// Grey images have 1 channel, colour images 3 (RGB).

#include <cstddef>
#include <span>
#include <vector>

#include "../error.hpp"

namespace sjmt::data {

class image {
 public:
  image() = default;
  /// A black image. Requires: width, height > 0; channels 1 or 3.
  image(int width, int height, int channels)
      : m_width(width), m_height(height), m_channels(channels) {
    SJMT_CHECK(value_error, width > 0 && height > 0, "image: size ", width, "x", height,
               " must be positive");
    SJMT_CHECK(value_error, channels == 1 || channels == 3, "image: ", channels,
               " channels; expected 1 (grey) or 3 (RGB)");
    m_pixels.assign(static_cast<std::size_t>(width) * height * channels, 0.0f);
  }

  int width() const { return m_width; }
  int height() const { return m_height; }
  int channels() const { return m_channels; }
  std::size_t size() const { return m_pixels.size(); }
  bool empty() const { return m_pixels.empty(); }

  /// (H, W, C) values in [0, 1], interleaved: pixel (y, x) is the C values from
  /// (y * width + x) * C. This is one row of an (N, H, W, C) batch.
  std::span<float> pixels() { return m_pixels; }
  std::span<const float> pixels() const { return m_pixels; }

  /// Channel c of the pixel at row y, column x. Requires: 0 <= y < height,
  /// 0 <= x < width, 0 <= c < channels (unchecked).
  float& at(int y, int x, int c) { return m_pixels[index(y, x, c)]; }
  float at(int y, int x, int c) const { return m_pixels[index(y, x, c)]; }

  friend bool operator==(const image&, const image&) = default;

 private:
  std::size_t index(int y, int x, int c) const {
    return (static_cast<std::size_t>(y) * m_width + x) * m_channels + c;
  }

  int m_width = 0;
  int m_height = 0;
  int m_channels = 0;
  std::vector<float> m_pixels;
};

/// Grey version of `in` (ITU-R BT.601 luma); a grey image is returned as is.
inline image to_grey(const image& in) {
  if (in.channels() == 1) return in;
  image out(in.width(), in.height(), 1);
  for (int y = 0; y < in.height(); ++y)
    for (int x = 0; x < in.width(); ++x)
      out.at(y, x, 0) = 0.299f * in.at(y, x, 0) + 0.587f * in.at(y, x, 1) + 0.114f * in.at(y, x, 2);
  return out;
}

/// RGB version of `in` (grey replicated); an RGB image is returned as is.
inline image to_rgb(const image& in) {
  if (in.channels() == 3) return in;
  image out(in.width(), in.height(), 3);
  for (int y = 0; y < in.height(); ++y)
    for (int x = 0; x < in.width(); ++x)
      for (int c = 0; c < 3; ++c) out.at(y, x, c) = in.at(y, x, 0);
  return out;
}

/// `in` resampled to width x height by bilinear interpolation (area-averaged first when
/// shrinking by 2 or more, so that small outputs do not alias).
inline image resize(const image& in, int width, int height) {
  SJMT_CHECK(value_error, !in.empty(), "resize: the input image is empty");
  image src = in;
  while (src.width() >= 2 * width && src.height() >= 2 * height) {
    image half(src.width() / 2, src.height() / 2, src.channels());
    for (int y = 0; y < half.height(); ++y)
      for (int x = 0; x < half.width(); ++x)
        for (int c = 0; c < src.channels(); ++c)
          half.at(y, x, c) = 0.25f * (src.at(2 * y, 2 * x, c) + src.at(2 * y, 2 * x + 1, c) +
                                      src.at(2 * y + 1, 2 * x, c) + src.at(2 * y + 1, 2 * x + 1, c));
    src = std::move(half);
  }
  image out(width, height, src.channels());
  const float sx = static_cast<float>(src.width()) / static_cast<float>(width);
  const float sy = static_cast<float>(src.height()) / static_cast<float>(height);
  for (int y = 0; y < height; ++y) {
    float fy = (static_cast<float>(y) + 0.5f) * sy - 0.5f;
    fy = fy < 0 ? 0 : fy;
    const int y0 = static_cast<int>(fy);
    const int y1 = y0 + 1 < src.height() ? y0 + 1 : y0;
    const float wy = fy - static_cast<float>(y0);
    for (int x = 0; x < width; ++x) {
      float fx = (static_cast<float>(x) + 0.5f) * sx - 0.5f;
      fx = fx < 0 ? 0 : fx;
      const int x0 = static_cast<int>(fx);
      const int x1 = x0 + 1 < src.width() ? x0 + 1 : x0;
      const float wx = fx - static_cast<float>(x0);
      for (int c = 0; c < src.channels(); ++c) {
        const float top = src.at(y0, x0, c) * (1 - wx) + src.at(y0, x1, c) * wx;
        const float bottom = src.at(y1, x0, c) * (1 - wx) + src.at(y1, x1, c) * wx;
        out.at(y, x, c) = top * (1 - wy) + bottom * wy;
      }
    }
  }
  return out;
}

}  // namespace sjmt::data
